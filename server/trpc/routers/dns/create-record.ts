import { procedure, signedIn } from "../../init";
import { saveRecord } from "../../../services/dns/save-record";
import { createRecordInput, createRecordOutput } from "./create-record.schema";

export const createRecordProcedure = procedure
  .meta({ access: "domain.write" })
  .input(createRecordInput)
  .output(createRecordOutput)
  .mutation(({ ctx, input }) => saveRecord(signedIn(ctx).actor, { ...input, id: undefined }));
