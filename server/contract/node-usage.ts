import { z } from "zod";

// GET /v1/usage: the disk use of each site live on a node (files, dumps, snapshots) and of its
// customer databases, as the agent last measured it; and for each hosting account on the node,
// its disk use against its limit and the counters of its cgroup.

const count = z.number().int().min(0);

/**
 * One hosting account on the node. diskBytes is what the limit is checked against: on btrfs the
 * referenced bytes of the account's quota group (its sites' live files, dumps and snapshots, each
 * extent once), on the directory driver the sum of its sites' files, dumps and snapshots; null
 * while btrfs's numbers are being rescanned. diskLimitBytes is null when no limit is set.
 * atDiskLimit: writes by the account fail (btrfs: EDQUOT, "Disk quota exceeded") or, on the
 * directory driver, which cannot refuse writes, the account is over its limit: the panel tells
 * the customer from this. The cgroup fields are the kernel's counters since the group was made
 * (null where the kernel has no such file; limits null for "max").
 */
export const accountUsageSchema = z.object({
  username: z.string(),
  diskBytes: count.nullable(),
  diskLimitBytes: count.nullable(),
  atDiskLimit: z.boolean(),
  memoryBytes: count.nullable(),
  memoryLimitBytes: count.nullable(),
  memoryLimitHits: count,
  oomKills: count,
  cpuUsageUsec: count.nullable(),
  cpuThrottledPeriods: count,
  cpuThrottledUsec: count,
  pids: count.nullable(),
  pidsLimit: count.nullable(),
  pidsLimitHits: count,
});
export type AccountUsage = z.infer<typeof accountUsageSchema>;

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
  /** Absent from agents older than the field: read as none. */
  accounts: z.array(accountUsageSchema).max(100_000).default([]),
  tookMs: z.number().min(0),
});
export type UsageReport = z.infer<typeof usageReportSchema>;
