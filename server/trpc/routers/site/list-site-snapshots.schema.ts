import { z } from "zod";
import { idSchema } from "../operation/operation.schema";

export const listSiteSnapshotsInput = z.object({ id: idSchema, limit: z.number().int().min(1).max(500).default(200) });
export const listSiteSnapshotsOutput = z.array(
  z.object({ id: z.string(), kind: z.enum(["SCHEDULED", "MANUAL", "PRE_ROLLBACK", "DIVERGENT"]), takenAt: z.date(), sizeBytes: z.number() }),
);
