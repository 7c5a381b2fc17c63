import { procedure, signedIn } from "../../init";
import { deleteRecord } from "../../../services/dns/delete-record";
import { deleteRecordInput, deleteRecordOutput } from "./delete-record.schema";

export const deleteRecordProcedure = procedure
  .meta({ access: "domain.write" })
  .input(deleteRecordInput)
  .output(deleteRecordOutput)
  .mutation(({ ctx, input }) => deleteRecord(signedIn(ctx).actor, input));
