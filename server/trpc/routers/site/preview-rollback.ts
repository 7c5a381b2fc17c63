import { procedure, signedIn } from "../../init";
import { previewRollback } from "../../../services/site/preview-rollback";
import { previewRollbackInput, previewRollbackOutput } from "./preview-rollback.schema";

// site.read: looking changes nothing; the rollback itself needs site.write.
export const previewRollbackProcedure = procedure
  .meta({ access: "site.read" })
  .input(previewRollbackInput)
  .output(previewRollbackOutput)
  .query(({ ctx, input }) => previewRollback(signedIn(ctx).scope, input));
