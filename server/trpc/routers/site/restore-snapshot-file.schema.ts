import { z } from "zod";
import { snapshotPathSchema } from "../../../domain/snapshot-path";
import { idSchema } from "../operation/operation.schema";

export const restoreSnapshotFileInput = z.object({ id: idSchema, snapshotId: idSchema, path: snapshotPathSchema });
export const restoreSnapshotFileOutput = z.object({ id: z.string(), operationId: z.string(), path: z.string(), sizeBytes: z.number() });
