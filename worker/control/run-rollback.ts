import { z } from "zod";
import type { Db } from "../../server/db";
import { AgentRejectedError, AgentUnreachableError, agentClient } from "./agent-client";
import { failAtStep, markStep, probeEdge, type EdgeProbe } from "./operation-progress";
import { ReconcileRetry } from "./reconcile-node";
import { snapshotName } from "../../server/domain/snapshot-name";
import { stepKind, type RollbackStepKind } from "../../server/domain/operation-kinds";
import { countSettled } from "./control-metrics";

// A customer's rollback (server/services/site/rollback-site.ts wrote the operation and this
// event): the live node puts the site's files and databases back to the snapshot and keeps the
// state before as a PRE_ROLLBACK snapshot, so the rollback can be undone the same way. Each
// attempt keeps its own "before" snapshot, so a retry after a crash never loses a state.

const payloadSchema = z.object({ operationId: z.string().min(1), snapshotId: z.string().min(1) });

export type RollbackContext = { db: Db; clusterSecret: string; probe?: EdgeProbe };

const step = (db: Db, operationId: string, kind: RollbackStepKind, data: { status: "RUNNING" | "SUCCEEDED" | "FAILED"; lastError?: string | null }) =>
  markStep(db, operationId, kind, data.status, data.lastError);


export async function runRollback(ctx: RollbackContext, outboxId: string): Promise<void> {
  const { db } = ctx;
  const event = await db.outboxEvent.findUnique({ where: { id: BigInt(outboxId) }, select: { payload: true } });
  const payload = payloadSchema.safeParse(event?.payload);
  if (!payload.success) return;
  const { operationId, snapshotId } = payload.data;
  const op = await db.operation.findUnique({ where: { id: operationId }, select: { status: true, targetId: true } });
  if (!op || (op.status !== "PENDING" && op.status !== "RUNNING")) return;

  const [snapshot, placement, databases] = await Promise.all([
    db.snapshot.findFirst({ where: { id: snapshotId, siteId: op.targetId }, select: { name: true, nodeId: true, takenAt: true } }),
    db.placement.findFirst({ where: { siteId: op.targetId, role: "PRIMARY" }, select: { epoch: true, node: { select: { id: true, name: true, address: true, agentPort: true } } } }),
    db.database.findMany({ where: { siteId: op.targetId, deletedAt: null }, orderBy: { name: "asc" }, select: { name: true } }),
  ]);
  if (!snapshot || !placement || snapshot.nodeId !== placement.node.id) {
    // Already in the customer's words: it names no node and says what to do.
    const gone = "That snapshot is no longer on the server that runs the site; pick another point in time.";
    return failAtStep(db, operationId, "restore files and databases", gone, gone);
  }
  await db.operation.updateMany({ where: { id: operationId, status: "PENDING" }, data: { status: "RUNNING", startedAt: new Date() } });
  // A retry after the restore itself went through only checks the edges again.
  const restored = await db.operationStep.count({ where: { operationId, kind: stepKind.restoreFilesAndDatabases, status: "SUCCEEDED" } });
  const [siteId, live, from] = [op.targetId, placement, snapshot];
  const restore = async () => {
    await step(db, operationId, "keep current state", { status: "RUNNING" });
    await step(db, operationId, "restore files and databases", { status: "RUNNING" });

    const keepAs = snapshotName("pre", new Date());
    try {
      const result = await agentClient(live.node, { clusterSecret: ctx.clusterSecret }).restoreSnapshot(siteId, from.name, keepAs, databases.map((d) => d.name));
      await db.snapshot.create({
        data: { siteId, nodeId: live.node.id, name: result.kept.name, kind: "PRE_ROLLBACK", epoch: live.epoch, sizeBytes: BigInt(result.kept.sizeBytes), takenAt: new Date(result.kept.takenAt) },
      });
    } catch (e) {
      if (e instanceof AgentUnreachableError) {
        await db.operation.update({ where: { id: operationId }, data: { lastError: e.message } });
        throw new ReconcileRetry(e.message);
      }
      if (e instanceof AgentRejectedError && e.status < 500) {
        await failAtStep(db, operationId, "restore files and databases", e.message);
        return false;
      }
      throw e;
    }
    await step(db, operationId, "keep current state", { status: "SUCCEEDED", lastError: null });
    await step(db, operationId, "restore files and databases", { status: "SUCCEEDED", lastError: null });
    return true;
  };
  if (!restored && !(await restore())) return;

  // Served again through every edge (the agent swapped the files; the databases are loaded).
  await step(db, operationId, "serve check", { status: "RUNNING" });
  const site = await db.site.findUniqueOrThrow({ where: { id: op.targetId }, select: { domain: { select: { name: true } } } });
  const edges = await db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { address: true, httpPort: true } });
  const statuses = await Promise.all(edges.map((edge) => (ctx.probe ?? probeEdge)(edge, site.domain.name)));
  if (!statuses.every((s) => s >= 200 && s < 400)) {
    const message = `The files and databases are back, but the edges answered ${statuses.join(", ")}.`;
    await step(db, operationId, "serve check", { status: "RUNNING", lastError: message });
    throw new ReconcileRetry(message);
  }
  await step(db, operationId, "serve check", { status: "SUCCEEDED", lastError: null });
  countSettled(await db.operation.update({ where: { id: operationId }, data: { status: "SUCCEEDED", finishedAt: new Date(), lastError: null }, select: { kind: true } }), "succeeded");
}
