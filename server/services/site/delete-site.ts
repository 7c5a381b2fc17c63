import { db } from "../../db";
import { AppError } from "../../errors";
import { siteWhere } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resolveWritableAccount } from "../account/resolve-account";
import { softDeleteDatabases } from "../database/insert-database";
import { startOperation } from "../operation/start-operation";
import { operationKind, stepKind } from "../../domain/operation-kinds";

/**
 * Soft delete of the site and of the databases made for it (siteId set at install); databases the
 * customer created by hand stay. A worker tears down route, vhost, pool, databases and store.
 */
export async function deleteSite(actor: Actor, input: { id: string; accountId?: string | null }): Promise<{ id: string; operationId: string }> {
  return db.$transaction(async (tx) => {
    const found = await tx.site.findFirst({
      where: { id: input.id, deletedAt: null, ...(input.accountId ? { accountId: input.accountId } : {}), ...siteWhere(actor.scope) },
      select: { accountId: true },
    });
    if (!found) throw AppError.notFound("Site");
    const account = await resolveWritableAccount(tx, actor.scope, found.accountId);
    // Read again under the account lock: a concurrent delete may have won.
    const site = await tx.site.findFirst({
      where: { id: input.id, deletedAt: null },
      select: { id: true, app: true, domain: { select: { name: true } }, databases: { where: { deletedAt: null }, select: { id: true, name: true } } },
    });
    if (!site) throw AppError.notFound("Site");
    const now = new Date();
    await tx.site.update({ where: { id: site.id }, data: { deletedAt: now, generation: { increment: 1 } } });
    await softDeleteDatabases(tx, site.databases.map((d) => d.id), now);
    const op = await startOperation(tx, actor, {
      kind: operationKind.siteDelete,
      targetType: "Site",
      targetId: site.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      steps: [
        { kind: stepKind.route, target: site.domain.name },
        { kind: stepKind.vhost, target: site.domain.name },
        ...site.databases.map((d) => ({ kind: stepKind.database, target: d.name })),
        { kind: stepKind.siteStore, target: site.domain.name },
      ],
    });
    await recordChange(tx, actor, {
      action: "site.delete",
      targetType: "Site",
      targetId: site.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      before: { domain: site.domain.name, app: site.app, databases: site.databases.map((d) => d.name) },
      outbox: { topic: "site.reconcile", payload: { siteId: site.id, operationId: op.id } },
    });
    return { id: site.id, operationId: op.id };
  });
}
