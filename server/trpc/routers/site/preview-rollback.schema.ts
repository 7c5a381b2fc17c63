import { z } from "zod";
import { rollbackPreviewSchema } from "../../../contract/snapshot-answers";
import { idSchema } from "../operation/operation.schema";

export const previewRollbackInput = z.object({ id: idSchema, snapshotId: idSchema });
export const previewRollbackOutput = rollbackPreviewSchema.extend({ snapshotId: z.string() });
