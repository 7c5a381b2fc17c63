import { z } from "zod";
import { snapshotPathSchema } from "../../../domain/snapshot-path";
import { idSchema } from "../operation/operation.schema";

export const browseSnapshotInput = z.object({ id: idSchema, snapshotId: idSchema, path: snapshotPathSchema.default("") });
export const browseSnapshotOutput = z.discriminatedUnion("type", [
  z.object({
    path: z.string(),
    type: z.literal("dir"),
    total: z.number().int(),
    truncated: z.boolean(),
    entries: z.array(z.object({ name: z.string(), type: z.enum(["dir", "file", "symlink", "other"]), sizeBytes: z.number(), mtime: z.string() })),
  }),
  z.object({ path: z.string(), type: z.literal("file"), sizeBytes: z.number(), mtime: z.string().nullable() }),
  z.object({ path: z.string(), type: z.literal("symlink"), target: z.string() }),
]);
