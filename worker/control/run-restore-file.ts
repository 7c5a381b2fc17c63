import { z } from "zod";
import { agentClient } from "./agent-client";
import { failAtStep, markStep } from "./operation-progress";
import type { Db } from "../../server/db";
import { snapshotPathSchema } from "../../server/domain/snapshot-path";
import { agentFailure } from "./node-read";
import { ReconcileRetry } from "./reconcile-node";
import { stepKind } from "../../server/domain/operation-kinds";
import { countSettled } from "./control-metrics";

// A customer's one-file restore (server/services/site/restore-snapshot-file.ts wrote the
// operation, its audit row and this event): the site's live node puts that file of the snapshot
// back into the live site. Restoring the same file twice leaves the same bytes, so a retry after a
// crash simply does it again; an operation already finished is left alone.

const payloadSchema = z.object({ operationId: z.string().min(1), snapshotId: z.string().min(1), path: snapshotPathSchema });

export type RestoreFileContext = { db: Db; clusterSecret: string };

const restoreStep = stepKind.restoreFile;

const fail = (db: Db, operationId: string, message: string, customer: string | null = null) => failAtStep(db, operationId, restoreStep, message, customer);

export async function runRestoreFile(ctx: RestoreFileContext, outboxId: string): Promise<void> {
  const { db } = ctx;
  const event = await db.outboxEvent.findUnique({ where: { id: BigInt(outboxId) }, select: { payload: true } });
  const payload = payloadSchema.safeParse(event?.payload);
  if (!payload.success) return;
  const { operationId, snapshotId, path } = payload.data;
  const op = await db.operation.findUnique({ where: { id: operationId }, select: { status: true, targetId: true } });
  if (!op || (op.status !== "PENDING" && op.status !== "RUNNING")) return;

  const [snapshot, placement] = await Promise.all([
    db.snapshot.findFirst({ where: { id: snapshotId, siteId: op.targetId }, select: { name: true, nodeId: true } }),
    db.placement.findFirst({ where: { siteId: op.targetId, role: "PRIMARY", site: { deletedAt: null } }, select: { node: { select: { id: true, name: true, address: true, agentPort: true } } } }),
  ]);
  if (!snapshot || !placement || snapshot.nodeId !== placement.node.id) {
    const gone = "That snapshot is no longer on the server that runs the site; restore the file from a newer snapshot.";
    return fail(db, operationId, gone, gone);
  }
  await db.operation.updateMany({ where: { id: operationId, status: "PENDING" }, data: { status: "RUNNING", startedAt: new Date() } });
  await markStep(db, operationId, restoreStep, "RUNNING");
  try {
    await agentClient(placement.node, { clusterSecret: ctx.clusterSecret }).restoreFile(op.targetId, snapshot.name, path);
  } catch (e) {
    const failure = agentFailure(e);
    if (failure?.kind === "unreachable") {
      // The outbox job comes back with backoff; the step shows why it waits.
      await db.operationStep.updateMany({ where: { operationId, kind: restoreStep }, data: { lastError: failure.message } });
      await db.operation.update({ where: { id: operationId }, data: { lastError: failure.message } });
      throw new ReconcileRetry(failure.message);
    }
    // The node said no (the file is gone from the snapshot, the path is refused): final.
    if (failure?.kind === "rejected" && failure.status < 500) return fail(db, operationId, failure.message);
    throw e;
  }
  await markStep(db, operationId, restoreStep, "SUCCEEDED", null);
  countSettled(await db.operation.update({ where: { id: operationId }, data: { status: "SUCCEEDED", finishedAt: new Date(), lastError: null }, select: { kind: true } }), "succeeded");
}
