import { db } from "../../db";
import { AppError } from "../../errors";
import { siteWhere } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resolveWritableAccount } from "../account/resolve-account";
import { startOperation } from "../operation/start-operation";
import { operationKind, stepKind } from "../../domain/operation-kinds";

/**
 * Puts a site's files and databases back to one of its snapshots (worker/control/run-rollback.ts
 * does it on the live node). The state before is kept as a snapshot of its own, so the rollback
 * can be undone by rolling back to that. One rollback of a site at a time.
 */
export async function rollbackSite(actor: Actor, input: { id: string; snapshotId: string }): Promise<{ id: string; operationId: string }> {
  return db.$transaction(async (tx) => {
    const found = await tx.site.findFirst({ where: { id: input.id, deletedAt: null, ...siteWhere(actor.scope) }, select: { accountId: true } });
    if (!found) throw AppError.notFound("Site");
    const account = await resolveWritableAccount(tx, actor.scope, found.accountId);
    const site = await tx.site.findFirst({
      where: { id: input.id, deletedAt: null },
      select: { id: true, status: true, domain: { select: { name: true } }, placements: { where: { role: "PRIMARY" }, select: { nodeId: true } } },
    });
    if (!site) throw AppError.notFound("Site");
    if (site.status !== "ACTIVE") throw new AppError("PRECONDITION_FAILED", "A suspended site cannot be rolled back.");
    const snapshot = await tx.snapshot.findFirst({ where: { id: input.snapshotId, siteId: site.id }, select: { id: true, nodeId: true, takenAt: true, kind: true } });
    if (!snapshot) throw AppError.field("snapshotId", "Choose one of this site's snapshots.", "NOT_FOUND");
    if (!site.placements[0] || snapshot.nodeId !== site.placements[0].nodeId) {
      throw AppError.field("snapshotId", "That snapshot is not on the node serving the site; choose a newer one.", "PRECONDITION_FAILED");
    }
    const running = await tx.operation.findFirst({ where: { targetType: "Site", targetId: site.id, kind: operationKind.siteRollback, status: { in: ["PENDING", "RUNNING"] } }, select: { id: true } });
    if (running) throw new AppError("CONFLICT", "A rollback of this site is already running; wait for it to finish.");
    const at = snapshot.takenAt.toISOString();
    const op = await startOperation(tx, actor, {
      kind: operationKind.siteRollback,
      targetType: "Site",
      targetId: site.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      steps: [
        { kind: stepKind.keepCurrentState, target: "so this rollback can be undone" },
        { kind: stepKind.restoreFilesAndDatabases, target: at },
        { kind: stepKind.serveCheck, target: "every edge" },
      ],
    });
    await recordChange(tx, actor, {
      action: "site.rollback",
      targetType: "Site",
      targetId: site.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      after: { domain: site.domain.name, snapshotTakenAt: at, snapshotKind: snapshot.kind },
      outbox: { topic: "site.rollback", payload: { operationId: op.id, snapshotId: snapshot.id } },
    });
    return { id: site.id, operationId: op.id };
  });
}
