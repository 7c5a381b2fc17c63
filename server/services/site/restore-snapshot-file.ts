import { db } from "../../db";
import { AppError } from "../../errors";
import { markStep } from "../../cluster/operation-progress";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resolveWritableAccount } from "../account/resolve-account";
import { startOperation } from "../operation/start-operation";
import { agentErrorToAppError, snapshotOnLiveNode } from "./snapshot-on-live-node";

export const restoreFileOperationKind = "site.restoreFile";

/**
 * Puts one file of a snapshot back into the live site (the node replaces it atomically, keeping
 * the snapshot's owner, mode and time). The path is checked on the node first, so a folder or a
 * missing file is an error next to the field and no operation; then it runs as a one-step
 * Operation with its audit row, the node doing the restore while the customer waits (a second or
 * so). The rest of the site is untouched: no snapshot is kept, the file's current version is in
 * the newest scheduled snapshot.
 */
export async function restoreSnapshotFile(
  actor: Actor,
  input: { id: string; snapshotId: string; path: string },
  clusterSecret: string | undefined,
): Promise<{ id: string; operationId: string; path: string; sizeBytes: number }> {
  if (input.path === "") throw AppError.field("path", "Choose a file to restore.");
  const { site, snapshot, agent } = await snapshotOnLiveNode(db, actor.scope, input, clusterSecret);
  if (site.status !== "ACTIVE") throw new AppError("PRECONDITION_FAILED", "A suspended site's files cannot be restored.");
  try {
    const entry = await agent.snapshotEntry(site.id, snapshot.name, input.path);
    if (entry.type !== "file") {
      throw AppError.field("path", entry.type === "dir" ? "That is a folder; choose a file inside it." : "That is a symbolic link; only files are restored one at a time.");
    }
  } catch (e) {
    throw agentErrorToAppError(e, "path");
  }
  const op = await db.$transaction(async (tx) => {
    await resolveWritableAccount(tx, actor.scope, site.accountId);
    const busy = await tx.operation.findFirst({
      where: { targetType: "Site", targetId: site.id, kind: { in: ["site.move", "site.rollback"] }, status: { in: ["PENDING", "RUNNING"] } },
      select: { kind: true },
    });
    if (busy) throw new AppError("CONFLICT", `A ${busy.kind === "site.move" ? "move" : "rollback"} of this site is running; restore the file when it has finished.`);
    const started = await startOperation(tx, actor, {
      kind: restoreFileOperationKind,
      targetType: "Site",
      targetId: site.id,
      resellerId: site.resellerId,
      customerId: site.customerId,
      steps: [{ kind: "restore file", target: input.path }],
    });
    await recordChange(tx, actor, {
      action: restoreFileOperationKind,
      targetType: "Site",
      targetId: site.id,
      resellerId: site.resellerId,
      customerId: site.customerId,
      after: { domain: site.domain, path: input.path, snapshotTakenAt: snapshot.takenAt.toISOString(), snapshotKind: snapshot.kind },
    });
    return started;
  });
  await db.operation.update({ where: { id: op.id }, data: { status: "RUNNING", startedAt: new Date() } });
  await markStep(db, op.id, "restore file", "RUNNING");
  try {
    const restored = await agent.restoreFile(site.id, snapshot.name, input.path);
    await markStep(db, op.id, "restore file", "SUCCEEDED", null);
    await db.operation.update({ where: { id: op.id }, data: { status: "SUCCEEDED", finishedAt: new Date(), lastError: null } });
    return { id: site.id, operationId: op.id, path: restored.path, sizeBytes: restored.sizeBytes };
  } catch (e) {
    const mapped = agentErrorToAppError(e, "path");
    const message = e instanceof Error ? e.message : String(e);
    await markStep(db, op.id, "restore file", "FAILED", message);
    await db.operation.update({ where: { id: op.id }, data: { status: "FAILED", finishedAt: new Date(), lastError: message } });
    throw mapped;
  }
}
