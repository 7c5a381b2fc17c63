import { z } from "zod";

// GET /v1/usage: the disk use of each site live on a node (files, dumps, snapshots) and of its
// customer databases, as the agent last measured it.

export const usageReportSchema = z.object({
  storage: z.enum(["btrfs", "dir"]),
  measuredAt: z.string(),
  /** False while btrfs's quota numbers are being (re)computed: filesBytes and snapshotBytes are null then. */
  consistent: z.boolean(),
  sites: z
    .array(
      z.object({
        siteId: z.string(),
        filesBytes: z.number().int().min(0).nullable(),
        dumpBytes: z.number().int().min(0),
        snapshotBytes: z.number().int().min(0).nullable(),
        snapshots: z.number().int().min(0),
      }),
    )
    .max(100_000),
  databases: z.array(z.object({ name: z.string(), bytes: z.number().int().min(0) })).max(100_000),
  tookMs: z.number().min(0),
});
export type UsageReport = z.infer<typeof usageReportSchema>;
