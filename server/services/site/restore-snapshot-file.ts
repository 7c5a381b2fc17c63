import { db } from "../../db";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resolveWritableAccount } from "../account/resolve-account";
import { startOperation } from "../operation/start-operation";
import { operationKind, stepKind } from "../../domain/operation-kinds";
import { readFromLiveNode, snapshotOfSite } from "./snapshot-on-live-node";

export const restoreFileOperationKind = operationKind.siteRestoreFile;

/**
 * Puts one file of a snapshot back into the live site (the node replaces it atomically, keeping
 * the snapshot's owner, mode and time). The path is checked on the node first (through a control
 * worker), so a folder or a missing file is an error next to the field and nothing is written;
 * then the one-step Operation, its audit row and its outbox row commit together, and a control
 * worker does the restore (worker/control/run-restore-file.ts) while the panel shows the step.
 * The rest of the site is untouched: no snapshot is kept, the file's current version is in the
 * newest scheduled snapshot.
 */
export async function restoreSnapshotFile(actor: Actor, input: { id: string; snapshotId: string; path: string }): Promise<{ id: string; operationId: string; path: string; sizeBytes: number }> {
  if (input.path === "") throw AppError.field("path", "Choose a file to restore.");
  const { site, snapshot } = await snapshotOfSite(db, actor.scope, input);
  if (site.status !== "ACTIVE") throw new AppError("PRECONDITION_FAILED", "A suspended site's files cannot be restored.");
  const entry = await readFromLiveNode({ kind: "entry", siteId: site.id, snapshotId: snapshot.id, path: input.path }, "path");
  if (entry.type !== "file") {
    throw AppError.field("path", entry.type === "dir" ? "That is a folder; choose a file inside it." : "That is a symbolic link; only files are restored one at a time.");
  }
  const op = await db.$transaction(async (tx) => {
    await resolveWritableAccount(tx, actor.scope, site.accountId);
    const busy = await tx.operation.findFirst({
      where: { targetType: "Site", targetId: site.id, kind: { in: [operationKind.siteMove, operationKind.siteRollback] }, status: { in: ["PENDING", "RUNNING"] } },
      select: { kind: true },
    });
    if (busy) throw new AppError("CONFLICT", `A ${busy.kind === operationKind.siteMove ? "move" : "rollback"} of this site is running; restore the file when it has finished.`);
    const started = await startOperation(tx, actor, {
      kind: restoreFileOperationKind,
      targetType: "Site",
      targetId: site.id,
      resellerId: site.resellerId,
      customerId: site.customerId,
      steps: [{ kind: stepKind.restoreFile, target: input.path }],
    });
    await recordChange(tx, actor, {
      action: restoreFileOperationKind,
      targetType: "Site",
      targetId: site.id,
      resellerId: site.resellerId,
      customerId: site.customerId,
      after: { domain: site.domain, path: input.path, snapshotTakenAt: snapshot.takenAt.toISOString(), snapshotKind: snapshot.kind },
      outbox: { topic: restoreFileOperationKind, payload: { operationId: started.id, snapshotId: snapshot.id, path: input.path } },
    });
    return started;
  });
  return { id: site.id, operationId: op.id, path: input.path, sizeBytes: entry.sizeBytes };
}
