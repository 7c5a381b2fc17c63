import { procedure, signedIn } from "../../init";
import { saveRecord } from "../../../services/dns/save-record";
import { updateRecordInput, updateRecordOutput } from "./update-record.schema";

export const updateRecordProcedure = procedure
  .meta({ access: "domain.write" })
  .input(updateRecordInput)
  .output(updateRecordOutput)
  .mutation(({ ctx, input }) => saveRecord(signedIn(ctx).actor, { ...input, domainId: undefined }));
