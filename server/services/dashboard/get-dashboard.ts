import { db } from "../../db";
import { accountWhere, type Scope } from "../../auth/scope";
import type { TenantStatus } from "../../generated/prisma/enums";
import { resolveAccount } from "../account/resolve-account";
import { listOperations } from "../operation/list-operations";
import type { OperationView } from "../operation/operation-select";
import { readAccountLimits, type AccountLimitsView } from "./account-limits";

export type Usage = { used: number; limit: number | null };

/** Bytes in a plan's MB, as the panel shows plans (GB = 1000 MB). */
export const bytesPerMb = 1_000_000;

/** The account's disk use, as its sites' live nodes last measured it (worker/control/usage.ts). */
export type DiskUsage = {
  filesBytes: number;
  databaseBytes: number;
  snapshotBytes: number;
  /** Files + databases + snapshots: what counts against the plan's disk. */
  totalBytes: number;
  limitBytes: number;
  overLimit: boolean;
  /** The oldest measurement in the total, or null when no site has been measured. */
  measuredAt: Date | null;
  /** Live sites not measured yet (just created, or their node has not answered). */
  unmeasuredSites: number;
};

export type Dashboard = {
  account: { id: string; username: string; status: TenantStatus; planName: string };
  /** The customer's other live accounts, for the account selector (one entry: no selector). */
  accounts: { id: string; username: string; status: TenantStatus; planName: string }[];
  usage: { sites: Usage; databases: Usage; domains: Usage; diskMb: Usage };
  disk: DiskUsage;
  /** The plan's limits on each server and what the servers last reported against them. */
  limits: AccountLimitsView;
  recentOperations: OperationView[];
};

export async function getDashboard(scope: Scope, input: { accountId?: string | null }): Promise<Dashboard> {
  const account = await resolveAccount(db, scope, input.accountId);
  const live = { accountId: account.id, deletedAt: null };
  const [sites, disk, unmeasuredSites, databases, domains, accounts, recent, limits] = await Promise.all([
    db.site.count({ where: live }),
    db.site.aggregate({ where: live, _sum: { filesBytes: true, databaseBytes: true, snapshotBytes: true }, _min: { usageAt: true } }),
    db.site.count({ where: { ...live, usageAt: null } }),
    db.database.count({ where: live }),
    db.domain.count({ where: live }),
    db.hostingAccount.findMany({
      where: { customerId: account.customerId, deletedAt: null, ...accountWhere(scope) },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: 100,
      select: { id: true, username: true, status: true, plan: { select: { name: true } } },
    }),
    listOperations(scope, { accountId: account.id, limit: 5 }),
    readAccountLimits(db, account.id),
  ]);
  const filesBytes = Number(disk._sum.filesBytes ?? 0n);
  const databaseBytes = Number(disk._sum.databaseBytes ?? 0n);
  const snapshotBytes = Number(disk._sum.snapshotBytes ?? 0n);
  const totalBytes = filesBytes + databaseBytes + snapshotBytes;
  const limitBytes = account.plan.diskMb * bytesPerMb;
  return {
    account: { id: account.id, username: account.username, status: account.status, planName: account.plan.name },
    accounts: accounts.map((a) => ({ id: a.id, username: a.username, status: a.status, planName: a.plan.name })),
    usage: {
      sites: { used: sites, limit: account.plan.maxSites },
      databases: { used: databases, limit: account.plan.maxDatabases },
      domains: { used: domains, limit: null },
      // Snapshots count against the plan's disk too: they take space on the nodes like files do.
      diskMb: { used: Math.ceil(totalBytes / bytesPerMb), limit: account.plan.diskMb },
    },
    disk: { filesBytes, databaseBytes, snapshotBytes, totalBytes, limitBytes, overLimit: totalBytes > limitBytes, measuredAt: disk._min.usageAt, unmeasuredSites },
    limits,
    recentOperations: recent.items,
  };
}
