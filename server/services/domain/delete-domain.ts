import { db } from "../../db";
import { AppError } from "../../errors";
import { domainWhere } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resolveWritableAccount } from "../account/resolve-account";
import { startOperation } from "../operation/start-operation";
import { operationKind, stepKind } from "../../domain/operation-kinds";

/**
 * Soft delete: the row stays (deletedAt set, generation bumped) until a worker has removed the
 * zone, but the name is free for a new owner at once (the live-name index ignores deleted rows).
 */
export async function deleteDomain(
  actor: Actor,
  input: { id: string; accountId?: string | null },
): Promise<{ id: string; operationId: string }> {
  return db.$transaction(async (tx) => {
    const found = await tx.domain.findFirst({
      where: { id: input.id, deletedAt: null, ...(input.accountId ? { accountId: input.accountId } : {}), ...domainWhere(actor.scope) },
      select: { id: true, accountId: true },
    });
    if (!found) throw AppError.notFound("Domain");
    // Locking the account serialises this with a site being created on the same domain.
    const account = await resolveWritableAccount(tx, actor.scope, found.accountId);
    const domain = await tx.domain.findFirst({
      where: { id: found.id, deletedAt: null },
      select: { id: true, name: true, displayName: true },
    });
    if (!domain) throw AppError.notFound("Domain");
    const site = await tx.site.findFirst({ where: { domainId: domain.id, deletedAt: null }, select: { id: true } });
    if (site) {
      throw new AppError("PRECONDITION_FAILED", `A site is hosted on ${domain.displayName}. Delete the site first, then the domain.`);
    }
    const mail =
      (await tx.mailbox.count({ where: { domainId: domain.id, deletedAt: null } })) +
      (await tx.mailForwarder.count({ where: { domainId: domain.id, deletedAt: null } }));
    if (mail > 0) {
      throw new AppError("PRECONDITION_FAILED", `${domain.displayName} still has mailboxes or forwarders. Delete them first, then the domain.`);
    }
    const now = new Date();
    await tx.domain.update({ where: { id: domain.id }, data: { deletedAt: now, generation: { increment: 1 } } });
    await tx.dnsRecord.updateMany({
      where: { domainId: domain.id, deletedAt: null },
      data: { deletedAt: now, generation: { increment: 1 } },
    });
    const op = await startOperation(tx, actor, {
      kind: operationKind.domainDelete,
      targetType: "Domain",
      targetId: domain.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      steps: [{ kind: stepKind.dnsZone, target: domain.name }],
    });
    await recordChange(tx, actor, {
      action: "domain.delete",
      targetType: "Domain",
      targetId: domain.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      before: { name: domain.name },
      outbox: { topic: "domain.reconcile", payload: { domainId: domain.id, operationId: op.id } },
    });
    return { id: domain.id, operationId: op.id };
  });
}
