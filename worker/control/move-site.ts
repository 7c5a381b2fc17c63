import { z } from "zod";
import type { Db } from "../../server/db";
import { agentClient, AgentUnreachableError } from "../../server/cluster/agent-client";
import { markStep, probeEdge, type EdgeProbe } from "../../server/cluster/operation-progress";
import { bumpRoutesVersion, lockClusterState, readRouteTable } from "../../server/cluster/route-table";
import type { MoveStepKind } from "../../server/domain/move-steps";
import { ReconcileRetry, reconcileNode } from "./reconcile-node";
import { snapshotName } from "../../server/domain/snapshot-name";

// A planned move (DESIGN "A site's life" 3), as an Operation whose steps the panel shows live:
//   pre-copy      incremental snapshots to the target until the remaining delta is small
//   pause         every edge holds the site's requests (route table: paused)
//   drain         the source finishes what it was serving
//   final-delta   a last snapshot of files and databases goes to the target
//   start-target  the target makes it its live volume and databases; placements switch, epoch + 1
//   route         every edge has the new route (still paused)
//   release       every edge lets the held requests go, to the target
//   source becomes replica
// Until start-target an error puts the site back as it was (unpaused on the source, nothing
// lost); from start-target on the move only goes forward (retried), since the target is live.

const payloadSchema = z.object({ operationId: z.string().min(1), toNodeId: z.string().min(1) });

export type MoveContext = {
  db: Db;
  clusterSecret: string;
  /** Runs `fn` holding the reconcile leases of these nodes, so no reconcile pushes an older route table meanwhile. */
  withLeases<T>(nodeIds: string[], fn: () => Promise<T>): Promise<T>;
  probe?: EdgeProbe;
  log?: (line: string) => void;
  /** How long the source gets to finish in-flight requests after the pause. */
  drainMs?: number;
  /** Pre-copy stops once a round sends less than this. */
  smallDeltaBytes?: number;
};

type StepName = MoveStepKind;

/** A move's steps always say their error, or none. */
const mark = (db: Db, operationId: string, kind: StepName, status: "RUNNING" | "SUCCEEDED" | "FAILED", lastError: string | null = null) =>
  markStep(db, operationId, kind, status, lastError);

async function done(db: Db, operationId: string, kind: StepName): Promise<boolean> {
  return (await db.operationStep.count({ where: { operationId, kind, status: "SUCCEEDED" } })) > 0;
}

/** Pushes the current route table to every edge that answers, under their leases; resolves the version. */
async function publishRoutes(ctx: MoveContext): Promise<bigint> {
  const nodes = await ctx.db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { id: true, name: true, address: true, agentPort: true } });
  return ctx.withLeases(
    nodes.map((n) => n.id),
    async () => {
      const table = await readRouteTable(ctx.db);
      await Promise.all(
        nodes.map(async (n) => {
          await agentClient(n, { clusterSecret: ctx.clusterSecret }).putRoutes({ routes: table.routes });
          await ctx.db.node.updateMany({ where: { id: n.id, appliedRoutesVersion: { lt: table.version } }, data: { appliedRoutesVersion: table.version } });
        }),
      );
      return table.version;
    },
  );
}

async function setPaused(ctx: MoveContext, siteId: string, paused: boolean): Promise<void> {
  await ctx.db.$transaction(async (tx) => {
    await lockClusterState(tx);
    const version = await bumpRoutesVersion(tx);
    await tx.site.update({ where: { id: siteId }, data: { paused, routeVersion: version } });
  });
  await publishRoutes(ctx);
}

export async function runMove(ctx: MoveContext, outboxId: string): Promise<void> {
  const { db } = ctx;
  const event = await db.outboxEvent.findUnique({ where: { id: BigInt(outboxId) }, select: { payload: true } });
  const payload = payloadSchema.safeParse(event?.payload);
  if (!payload.success) return;
  const { operationId, toNodeId } = payload.data;
  const op = await db.operation.findUnique({ where: { id: operationId }, select: { status: true, targetId: true } });
  if (!op || (op.status !== "PENDING" && op.status !== "RUNNING")) return;
  const siteId = op.targetId;
  await db.operation.updateMany({ where: { id: operationId, status: "PENDING" }, data: { status: "RUNNING", startedAt: new Date() } });

  const load = async () => {
    const placements = await db.placement.findMany({ where: { siteId }, select: { id: true, role: true, epoch: true, nodeId: true, node: { select: { id: true, name: true, address: true, agentPort: true, status: true } } } });
    const site = await db.site.findUniqueOrThrow({ where: { id: siteId }, select: { domain: { select: { name: true } }, databases: { where: { deletedAt: null }, orderBy: { name: "asc" }, select: { name: true } } } });
    return { placements, site, databases: site.databases.map((d) => d.name) };
  };
  let state = await load();
  const target = await db.node.findUniqueOrThrow({ where: { id: toNodeId }, select: { id: true, name: true, address: true, agentPort: true, status: true } });
  const targetAgent = agentClient(target, { clusterSecret: ctx.clusterSecret });

  const switched = await done(db, operationId, "start-target");
  if (!switched) {
    const source = state.placements.find((p) => p.role === "PRIMARY");
    if (!source) throw new Error(`Site ${siteId} has no live node to move from.`);
    if (source.nodeId === toNodeId) {
      await mark(db, operationId, "pre-copy", "FAILED", `The site already runs on ${target.name}.`);
      await db.operation.update({ where: { id: operationId }, data: { status: "FAILED", lastError: `The site already runs on ${target.name}.`, finishedAt: new Date() } });
      return;
    }
    const sourceAgent = agentClient(source.node, { clusterSecret: ctx.clusterSecret });
    try {
      // The target holds the site as a replica first (its account exists, snapshots are kept).
      if (!state.placements.some((p) => p.nodeId === toNodeId)) {
        await db.placement.create({ data: { siteId, nodeId: toNodeId, role: "REPLICA", epoch: source.epoch, reason: "target of a planned move" } });
      }
      // Forced: the target must really hold the account now, not merely have been sent it once.
      await ctx.withLeases([toNodeId], () => reconcileNode(ctx, toNodeId, true));

      const copy = async (kind: string): Promise<{ name: string; bytes: number }> => {
        const rows = await db.snapshot.findMany({ where: { siteId, nodeId: { in: [source.nodeId, toNodeId] } }, orderBy: { takenAt: "desc" }, select: { name: true, nodeId: true } });
        const onTarget = new Set(rows.filter((r) => r.nodeId === toNodeId).map((r) => r.name));
        const parent = rows.find((r) => r.nodeId === source.nodeId && onTarget.has(r.name))?.name ?? null;
        const info = await sourceAgent.createSnapshot(siteId, snapshotName(kind, new Date()), state.databases);
        await db.snapshot.create({ data: { siteId, nodeId: source.nodeId, name: info.name, kind: "MANUAL", epoch: source.epoch, sizeBytes: BigInt(info.sizeBytes), takenAt: new Date(info.takenAt) } });
        const sent = await sourceAgent.sendSnapshotTo(targetAgent, siteId, info.name, parent);
        await db.snapshot.create({ data: { siteId, nodeId: toNodeId, name: info.name, kind: "MANUAL", epoch: source.epoch, sizeBytes: BigInt(sent.info.sizeBytes), takenAt: new Date(info.takenAt) } });
        return { name: info.name, bytes: sent.bytes };
      };

      await mark(db, operationId, "pre-copy", "RUNNING");
      for (let round = 1; round <= 4; round++) {
        const { bytes } = await copy("mv");
        ctx.log?.(`move ${siteId}: pre-copy round ${round} sent ${bytes} bytes`);
        if (bytes < (ctx.smallDeltaBytes ?? 2_000_000)) break;
      }
      await mark(db, operationId, "pre-copy", "SUCCEEDED");

      await mark(db, operationId, "pause", "RUNNING");
      await setPaused(ctx, siteId, true);
      await mark(db, operationId, "pause", "SUCCEEDED");

      await mark(db, operationId, "drain", "RUNNING");
      // Requests already proxied to the source finish there (nginx's proxy timeouts bound them);
      // new ones wait at the edges. A short grace, not a count: see the notes.
      await new Promise((r) => setTimeout(r, ctx.drainMs ?? 150));
      await mark(db, operationId, "drain", "SUCCEEDED");

      await mark(db, operationId, "final-delta", "RUNNING");
      const final = await copy("mv");
      ctx.log?.(`move ${siteId}: final delta ${final.bytes} bytes`);
      await mark(db, operationId, "final-delta", "SUCCEEDED");

      await mark(db, operationId, "start-target", "RUNNING");
      await targetAgent.promote(siteId, final.name, state.databases);
      await db.$transaction(async (tx) => {
        await lockClusterState(tx);
        const epoch = source.epoch + 1;
        await tx.placement.update({ where: { id: source.id }, data: { role: "REPLICA", reason: `moved to ${target.name}` } });
        await tx.placement.updateMany({ where: { siteId, nodeId: toNodeId }, data: { role: "PRIMARY", epoch, reason: `planned move from ${source.node.name}` } });
        await tx.database.updateMany({ where: { siteId, deletedAt: null }, data: { nodeId: toNodeId } });
        const version = await bumpRoutesVersion(tx);
        await tx.site.update({ where: { id: siteId }, data: { routeVersion: version, generation: { increment: 1 } } });
      });
      await mark(db, operationId, "start-target", "SUCCEEDED");
    } catch (e) {
      // Not switched yet: the source still serves; unpause it and stop with the reason.
      const message = e instanceof Error ? e.message : String(e);
      await setPaused(ctx, siteId, false).catch(() => undefined);
      await db.operationStep.updateMany({ where: { operationId, status: "RUNNING" }, data: { status: "FAILED", lastError: message, finishedAt: new Date() } });
      await db.operation.update({ where: { id: operationId }, data: { status: "FAILED", lastError: `Move aborted, the site stays on ${source.node.name}: ${message}`, finishedAt: new Date() } });
      return;
    }
    state = await load();
  }

  // Forward only from here: converge both nodes, publish the route, release.
  try {
    const live = state.placements.find((p) => p.role === "PRIMARY")!;
    const old = state.placements.filter((p) => p.role === "REPLICA" && p.nodeId !== live.nodeId);
    // The target gets its vhost, pool and database users while the edges still hold; then one
    // route table push both points every edge at the target (epoch + 1) and releases.
    await mark(db, operationId, "route", "RUNNING");
    await ctx.withLeases([live.nodeId], () => reconcileNode(ctx, live.nodeId, false));
    await mark(db, operationId, "release", "RUNNING");
    await setPaused(ctx, siteId, false);
    await mark(db, operationId, "route", "SUCCEEDED");
    await mark(db, operationId, "release", "SUCCEEDED");
    await mark(db, operationId, "source becomes replica", "RUNNING");
    for (const o of old) await ctx.withLeases([o.nodeId], () => reconcileNode(ctx, o.nodeId, false));
    await mark(db, operationId, "source becomes replica", "SUCCEEDED");
    const statuses = await Promise.all(
      (await db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { address: true, httpPort: true } })).map((e) => (ctx.probe ?? probeEdge)(e, state.site.domain.name)),
    );
    ctx.log?.(`move ${siteId}: done, edges answer ${statuses.join(", ")}`);
    await db.operation.update({ where: { id: operationId }, data: { status: "SUCCEEDED", finishedAt: new Date(), lastError: null } });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await db.operation.update({ where: { id: operationId }, data: { lastError: message } });
    if (e instanceof AgentUnreachableError) throw new ReconcileRetry(message);
    throw e;
  }
}
