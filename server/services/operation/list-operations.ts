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
// operations are part of the history). Each target's name comes with it: a list of the whole
// account says which site, domain or database every entry is about.
async function accountTargets(accountId: string): Promise<Map<string, string>> {
  const where = { accountId };
  const [domains, sites, databases] = await Promise.all([
    db.domain.findMany({ where, select: { id: true, displayName: true } }),
    db.site.findMany({ where, select: { id: true, domain: { select: { displayName: true } } } }),
    db.database.findMany({ where, select: { id: true, name: true } }),
  ]);
  return new Map([
    ...domains.map((d) => [d.id, d.displayName] as const),
    ...sites.map((s) => [s.id, s.domain.displayName] as const),
    ...databases.map((d) => [d.id, d.name] as const),
  ]);
}

/** Newest first: for one target when given (tenancy from operationWhere), else for the whole account. */
export async function listOperations(scope: Scope, input: ListOperationsInput): Promise<Page<OperationView>> {
  const targets = input.target ? null : await accountTargets((await resolveAccount(db, scope, input.accountId)).id);
  const targetFilter = input.target ? { targetType: input.target.type, targetId: input.target.id } : { targetId: { in: [...targets!.keys()] } };
  const rows = await db.operation.findMany({
    where: { AND: [operationWhere(scope), targetFilter, afterCursor("createdAt", "desc", input.cursor)] },
    orderBy: keysetOrder("createdAt", "desc"),
    take: input.limit + 1,
    select: operationSelect,
  });
  const page = toPage(rows, input.limit, "createdAt");
  return { ...page, items: page.items.map((op) => ({ ...toOperationView(op, scope), subject: targets?.get(op.targetId) ?? null })) };
}
