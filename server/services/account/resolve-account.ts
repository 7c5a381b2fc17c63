import type { Db, Tx } from "../../db";
import { AppError } from "../../errors";
import type { Prisma } from "../../generated/prisma/client";
import type { TenantStatus } from "../../generated/prisma/enums";
import { accountWhere, type Scope } from "../../auth/scope";

// The hosting account every customer-side procedure acts on. The id a browser sends is only ever
// used inside `accountWhere(scope)`, so another tenant's account reads as not found.

const accountSelect = {
  id: true,
  username: true,
  status: true,
  customerId: true,
  customer: { select: { resellerId: true, status: true } },
  plan: { select: { name: true, maxSites: true, maxDatabases: true, diskMb: true } },
} satisfies Prisma.HostingAccountSelect;

export type ResolvedAccount = {
  id: string;
  username: string;
  status: TenantStatus;
  customerId: string;
  resellerId: string;
  plan: { name: string; maxSites: number; maxDatabases: number; diskMb: number };
};

type Row = Prisma.HostingAccountGetPayload<{ select: typeof accountSelect }>;

function toResolved(row: Row): ResolvedAccount {
  // A suspended customer's accounts are read-only even if an account row still says ACTIVE.
  const status = row.customer.status !== "ACTIVE" ? row.customer.status : row.status;
  return {
    id: row.id,
    username: row.username,
    status,
    customerId: row.customerId,
    resellerId: row.customer.resellerId,
    plan: row.plan,
  };
}

/**
 * The account named by `accountId`, or for a customer without one their first active account
 * (their first live one when none is active, so a suspended customer can still look around).
 * Resellers and admins act on many customers, so they must always name the account.
 */
export async function resolveAccount(db: Db | Tx, scope: Scope, accountId?: string | null): Promise<ResolvedAccount> {
  if (accountId) {
    const row = await db.hostingAccount.findFirst({
      where: { id: accountId, deletedAt: null, ...accountWhere(scope) },
      select: accountSelect,
    });
    if (!row) throw AppError.notFound("Hosting account");
    return toResolved(row);
  }
  if (scope.kind !== "customer") throw AppError.field("accountId", "Choose the hosting account to act on.");
  const rows = await db.hostingAccount.findMany({
    where: { deletedAt: null, ...accountWhere(scope) },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: 100,
    select: accountSelect,
  });
  const row = rows.find((r) => r.status === "ACTIVE" && r.customer.status === "ACTIVE") ?? rows[0];
  if (!row) throw new AppError("NOT_FOUND", "You have no hosting account yet.");
  return toResolved(row);
}

/**
 * For mutations, inside the mutation's transaction: locks the account row so that limit checks
 * (count, then insert) cannot interleave with another request on the same account, and refuses
 * to change a suspended or terminated account.
 */
export async function resolveWritableAccount(tx: Tx, scope: Scope, accountId?: string | null): Promise<ResolvedAccount> {
  const account = await resolveAccount(tx, scope, accountId);
  const locked = await tx.$queryRaw<{ status: TenantStatus }[]>`
    SELECT "status"::text AS "status" FROM "HostingAccount" WHERE "id" = ${account.id} FOR UPDATE`;
  const status = account.status !== "ACTIVE" ? account.status : (locked[0]?.status ?? "TERMINATED");
  if (status !== "ACTIVE") {
    throw new AppError(
      "PRECONDITION_FAILED",
      `The hosting account ${account.username} is ${status.toLowerCase()}, so it is read-only. Contact your provider to reactivate it.`,
    );
  }
  return account;
}
