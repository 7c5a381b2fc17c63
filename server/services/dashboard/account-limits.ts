import type { Db } from "../../db";

/**
 * An account's plan limits on each server it is live on, and what those servers last reported
 * against them (worker/control/usage.ts). Limits apply per server: the figures are the fullest
 * server's (disk, memory, processes) and the sums of the kernel's counters over all of them.
 */
export type AccountLimitsView = {
  plan: { cpuPercent: number; memoryMb: number; pids: number; ioWeight: number; diskMb: number; copies: number; snapshotCadenceSec: number };
  /** Servers that reported the account (where it has live sites). */
  servers: number;
  /** Writes fail on at least one server: uploads and new files are refused there. */
  atDiskLimit: boolean;
  diskBytes: number | null;
  diskLimitBytes: number | null;
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  memoryLimitHits: number;
  oomKills: number;
  cpuThrottledPeriods: number;
  cpuThrottledUsec: number;
  pids: number | null;
  pidsLimit: number | null;
  pidsLimitHits: number;
  /** The oldest report in the figures, or null before the first. */
  measuredAt: Date | null;
};

const maxOf = (values: (bigint | number | null)[]): number | null => {
  const present = values.filter((v): v is bigint | number => v !== null).map(Number);
  return present.length ? Math.max(...present) : null;
};
const sumOf = (values: (bigint | number)[]): number => values.reduce<number>((sum, v) => sum + Number(v), 0);

/** `accountId` must already be resolved within the caller's scope (resolveAccount). */
export async function readAccountLimits(db: Db, accountId: string): Promise<AccountLimitsView> {
  const row = await db.hostingAccount.findUniqueOrThrow({
    where: { id: accountId },
    select: {
      plan: { select: { cpuPercent: true, memoryMb: true, pids: true, ioWeight: true, diskMb: true, copies: true, snapshotCadenceSec: true } },
      nodeUsage: { orderBy: { nodeId: "asc" } },
    },
  });
  const u = row.nodeUsage;
  return {
    plan: row.plan,
    servers: u.length,
    atDiskLimit: u.some((n) => n.atDiskLimit),
    diskBytes: maxOf(u.map((n) => n.diskBytes)),
    diskLimitBytes: maxOf(u.map((n) => n.diskLimitBytes)),
    memoryBytes: maxOf(u.map((n) => n.memoryBytes)),
    memoryLimitBytes: maxOf(u.map((n) => n.memoryLimitBytes)),
    memoryLimitHits: sumOf(u.map((n) => n.memoryLimitHits)),
    oomKills: sumOf(u.map((n) => n.oomKills)),
    cpuThrottledPeriods: sumOf(u.map((n) => n.cpuThrottledPeriods)),
    cpuThrottledUsec: sumOf(u.map((n) => n.cpuThrottledUsec)),
    pids: maxOf(u.map((n) => n.pids)),
    pidsLimit: maxOf(u.map((n) => n.pidsLimit)),
    pidsLimitHits: sumOf(u.map((n) => n.pidsLimitHits)),
    measuredAt: u.length ? new Date(Math.min(...u.map((n) => n.measuredAt.getTime()))) : null,
  };
}
