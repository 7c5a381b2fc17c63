import { db } from "../../db";
import { operationWhere, type Scope } from "../../auth/scope";
import { resolveAccount } from "../account/resolve-account";
import { afterCursor, keysetOrder, toPage, type Page } from "../pagination";
import { operationSelect, toOperationView, type OperationView } from "./operation-select";

export type ListOperationsInput = {
  accountId?: string | null;
  target?: { type: "Domain" | "Site" | "Database"; id: string } | null;
  cursor?: string | null;
  limit: number;
};

// Operations carry the customer, not the hosting account, so "this account's operations" means
// operations on any of its domains, sites or databases, including deleted ones (their delete
// operations are part of the history).
async function accountTargetIds(accountId: string): Promise<string[]> {
  const where = { accountId };
  const [domains, sites, databases] = await Promise.all([
    db.domain.findMany({ where, select: { id: true } }),
    db.site.findMany({ where, select: { id: true } }),
    db.database.findMany({ where, select: { id: true } }),
  ]);
  return [...domains, ...sites, ...databases].map((r) => r.id);
}

/** Newest first: for one target when given (tenancy from operationWhere), else for the whole account. */
export async function listOperations(scope: Scope, input: ListOperationsInput): Promise<Page<OperationView>> {
  const targetFilter = input.target
    ? { targetType: input.target.type, targetId: input.target.id }
    : { targetId: { in: await accountTargetIds((await resolveAccount(db, scope, input.accountId)).id) } };
  const rows = await db.operation.findMany({
    where: { AND: [operationWhere(scope), targetFilter, afterCursor("createdAt", "desc", input.cursor)] },
    orderBy: keysetOrder("createdAt", "desc"),
    take: input.limit + 1,
    select: operationSelect,
  });
  const page = toPage(rows, input.limit, "createdAt");
  return { ...page, items: page.items.map((op) => toOperationView(op, scope)) };
}
