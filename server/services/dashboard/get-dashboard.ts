import { db } from "../../db";
import { accountWhere, type Scope } from "../../auth/scope";
import type { TenantStatus } from "../../generated/prisma/enums";
import { resolveAccount } from "../account/resolve-account";
import { listOperations } from "../operation/list-operations";
import type { OperationView } from "../operation/operation-select";

export type Usage = { used: number; limit: number | null };

export type Dashboard = {
  account: { id: string; username: string; status: TenantStatus; planName: string };
  /** The customer's other live accounts, for the account selector (one entry: no selector). */
  accounts: { id: string; username: string; status: TenantStatus; planName: string }[];
  usage: { sites: Usage; databases: Usage; domains: Usage; diskMb: Usage };
  recentOperations: OperationView[];
};

export async function getDashboard(scope: Scope, input: { accountId?: string | null }): Promise<Dashboard> {
  const account = await resolveAccount(db, scope, input.accountId);
  const live = { accountId: account.id, deletedAt: null };
  const [sites, databases, domains, accounts, recent] = await Promise.all([
    db.site.count({ where: live }),
    db.database.count({ where: live }),
    db.domain.count({ where: live }),
    db.hostingAccount.findMany({
      where: { customerId: account.customerId, deletedAt: null, ...accountWhere(scope) },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: 100,
      select: { id: true, username: true, status: true, plan: { select: { name: true } } },
    }),
    listOperations(scope, { accountId: account.id, limit: 5 }),
  ]);
  return {
    account: { id: account.id, username: account.username, status: account.status, planName: account.plan.name },
    accounts: accounts.map((a) => ({ id: a.id, username: a.username, status: a.status, planName: a.plan.name })),
    usage: {
      sites: { used: sites, limit: account.plan.maxSites },
      databases: { used: databases, limit: account.plan.maxDatabases },
      domains: { used: domains, limit: null },
      // Disk use arrives with the node fleet's usage reports; until then nothing is measured.
      diskMb: { used: 0, limit: account.plan.diskMb },
    },
    recentOperations: recent.items,
  };
}
