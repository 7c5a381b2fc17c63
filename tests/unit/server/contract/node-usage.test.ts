import { describe, expect, it } from "vitest";
import { usageReportSchema } from "../../../../server/contract/node-usage";

// The usage report's wire shape: the per-account entries the panel reads disk at the limit and
// cgroup throttling from.

const base = { storage: "btrfs", measuredAt: "2026-12-07T07:00:00.000Z", consistent: true, sites: [], databases: [], tookMs: 3 };
const account = {
  username: "alice",
  diskBytes: 16 * 1024 ** 2,
  diskLimitBytes: 16 * 1024 ** 2,
  atDiskLimit: true,
  memoryBytes: 1234,
  memoryLimitBytes: 512 * 1024 ** 2,
  memoryLimitHits: 2,
  oomKills: 1,
  cpuUsageUsec: 99,
  cpuThrottledPeriods: 3,
  cpuThrottledUsec: 4500,
  pids: 5,
  pidsLimit: 128,
  pidsLimitHits: 0,
};

describe("usage report contract", () => {
  it("reads a report from an agent without accounts as having none", () => {
    expect(usageReportSchema.parse(base).accounts).toEqual([]);
  });

  it("carries each account's disk against its limit and its cgroup counters, by these names", () => {
    const parsed = usageReportSchema.parse({ ...base, accounts: [account] });
    expect(Object.keys(parsed.accounts[0]!).sort()).toEqual(Object.keys(account).sort());
    expect(parsed.accounts[0]).toEqual(account);
  });

  it("takes nulls where a number is unknown: a rescan, no limit, a kernel without the file", () => {
    const unknown = { ...account, diskBytes: null, diskLimitBytes: null, atDiskLimit: false, memoryBytes: null, memoryLimitBytes: null, cpuUsageUsec: null, pids: null, pidsLimit: null };
    expect(usageReportSchema.parse({ ...base, accounts: [unknown] }).accounts[0]).toEqual(unknown);
  });

  it("refuses counters that are negative, fractional or missing", () => {
    expect(usageReportSchema.safeParse({ ...base, accounts: [{ ...account, oomKills: -1 }] }).success).toBe(false);
    expect(usageReportSchema.safeParse({ ...base, accounts: [{ ...account, diskBytes: 1.5 }] }).success).toBe(false);
    const { atDiskLimit: _, ...missing } = account;
    expect(usageReportSchema.safeParse({ ...base, accounts: [missing] }).success).toBe(false);
  });
});
