import { z } from "zod";
import type { Db } from "../../server/db";
import { agentClient, AgentUnreachableError, type AgentClient } from "./agent-client";
import { buildNodeSpec } from "./build-node-spec";
import { markStep, probeEdge, type EdgeProbe } from "./operation-progress";
import { bumpRoutesVersion, lockClusterState, setSitesPaused } from "./read-route-table";
import { targetSpecAfterMove as mergeTargetSpec } from "../../server/domain/move-steps";
import type { MoveStepKind } from "../../server/domain/operation-kinds";
import { ReconcileRetry, reconcileNode } from "./reconcile-node";
import { countSettled, movesTotal } from "./control-metrics";
import { publishRoutes, type PublishOptions, type PublishResult } from "./publish-routes";
import { snapshotName } from "../../server/domain/snapshot-name";
import type { Log } from "../../server/observability/logger";

// A planned move, as an Operation whose steps the panel shows live:
//   pre-copy      the site's route goes through every edge's hold service (viaHold, one nginx
//                 reload per edge, nothing held yet); incremental snapshots to the target until
//                 the remaining delta is small; the newest is staged on the target as a standby
//                 (volume + databases) and the target's vhost, pool and database users are
//                 converged for it, unrouted
//   pause         every edge holds the site's requests: the hold services' in-memory decision
//                 flips, no nginx reload anywhere
//   drain         every edge's hold service reports no request of the site in flight any more
//   final-delta   a last snapshot of files and databases goes to the target
//   start-target  the target swaps its standby for that snapshot (a database whose dump did not
//                 change is not reloaded); placements switch, epoch + 1
//   route         every edge has the new route (epoch + 1)   } one push: the hold services
//   release       the held requests go, to the target        } forward to the target at once
//   source becomes replica: the target's and the source's converges, then the route goes back
//                 to the plain front door (nginx → the target's backend), one reload per edge
// The target's reconcile lease is held from the pre-copy to the switch, so no reconcile of the
// target (whose spec in Postgres still calls it a replica) tears the standby down meanwhile.
// Until start-target an error puts the site back as it was (unpaused on the source, the standby
// removed, nothing lost); from start-target on the move only goes forward (retried), since the
// target is live.

const payloadSchema = z.object({ operationId: z.string().min(1), toNodeId: z.string().min(1) });

export type MoveContext = {
  db: Db;
  clusterSecret: string;
  /** Runs `fn` holding the reconcile leases of these nodes, so no reconcile pushes an older route table meanwhile. */
  withLeases<T>(nodeIds: string[], fn: () => Promise<T>): Promise<T>;
  probe?: EdgeProbe;
  log?: Log;
  /** How long the drain waits for requests in flight to the source before it aborts the move. */
  drainMs?: number;
  /** Pre-copy stops once a round sends less than this. */
  smallDeltaBytes?: number;
};

type StepName = MoveStepKind;

/** A move's steps always say their error, or none. */
const mark = (db: Db, operationId: string, kind: StepName, status: "RUNNING" | "SUCCEEDED" | "FAILED", lastError: string | null = null) =>
  markStep(db, operationId, kind, status, lastError);

/**
 * Step marks written in the background, in order, each with the time it was called: the held
 * window does not wait for two statements per mark. flush() waits for them (and fails if one did).
 */
function stepsLater(db: Db, operationId: string) {
  let tail: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  return {
    mark(kind: StepName, status: "RUNNING" | "SUCCEEDED") {
      const at = new Date();
      tail = tail.then(() => markStep(db, operationId, kind, status, null, at)).catch((e: unknown) => {
        failure ??= e;
      });
    },
    async flush() {
      await tail;
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows markStep's own rejection unchanged
      if (failure) throw failure;
    },
  };
}

async function done(db: Db, operationId: string, kind: StepName): Promise<boolean> {
  return (await db.operationStep.count({ where: { operationId, kind, status: "SUCCEEDED" } })) > 0;
}

const liveNodes = (db: Db) =>
  db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { id: true, name: true, address: true, agentPort: true } });

async function setPaused(ctx: MoveContext, siteId: string, paused: boolean, opts: PublishOptions = {}) {
  await setSitesPaused(ctx.db, [siteId], paused);
  return publishRoutes(ctx, opts);
}

/**
 * The spec the target will have once it serves the site: its own spec from Postgres (where it is
 * still the site's replica) with the site and its databases as the source's spec has them.
 */
async function targetSpecAfterMove(ctx: MoveContext, siteId: string, sourceId: string, targetId: string, databases: readonly string[]) {
  const [onTarget, onSource] = await Promise.all([buildNodeSpec(ctx.db, targetId, ctx.clusterSecret), buildNodeSpec(ctx.db, sourceId, ctx.clusterSecret)]);
  return mergeTargetSpec(onTarget.spec, onSource.spec, siteId, databases);
}

type SiteState = Awaited<ReturnType<typeof loadSite>>;
type Source = SiteState["placements"][number];
type TargetNode = { id: string; name: string; address: string; agentPort: number; status: string };
type Copy = { name: string; bytes: number };

/** One move in progress: what every phase reads, and the two facts an abort needs. */
type Move = {
  ctx: MoveContext;
  db: Db;
  operationId: string;
  siteId: string;
  toNodeId: string;
  target: TargetNode;
  targetAgent: AgentClient;
  later: ReturnType<typeof stepsLater>;
  timed<T>(what: string, fn: () => Promise<T>): Promise<T>;
};

/** The switch's state until the placements change: where from, and how far it got. */
type Switch = {
  source: Source;
  databases: string[];
  /** Set once the target may hold a standby or the live site: an abort converges it back to a replica. */
  targetTouched: boolean;
  /** Set once the placements have switched in Postgres: from then on only forward. */
  committed: boolean;
};

async function loadSite(db: Db, siteId: string) {
  const placements = await db.placement.findMany({ where: { siteId }, select: { id: true, role: true, epoch: true, nodeId: true, node: { select: { id: true, name: true, address: true, agentPort: true, status: true } } } });
  const site = await db.site.findUniqueOrThrow({ where: { id: siteId }, select: { domain: { select: { name: true } }, databases: { where: { deletedAt: null }, orderBy: { name: "asc" }, select: { name: true } } } });
  return { placements, site, databases: site.databases.map((d) => d.name) };
}

export async function runMove(ctx: MoveContext, outboxId: string): Promise<void> {
  const move = await beginMove(ctx, outboxId);
  if (!move) return;
  let state = await loadSite(ctx.db, move.siteId);
  if (!(await done(ctx.db, move.operationId, "start-target"))) {
    const switched = await switchOver(move, state);
    if (!switched) return;
    state = await loadSite(ctx.db, move.siteId);
  }
  await finishMove(move, state);
}

/** The move's operation RUNNING and its parts, or null when its outbox row or operation says there is nothing to do. */
async function beginMove(ctx: MoveContext, outboxId: string): Promise<Move | null> {
  const { db } = ctx;
  const event = await db.outboxEvent.findUnique({ where: { id: BigInt(outboxId) }, select: { payload: true } });
  const payload = payloadSchema.safeParse(event?.payload);
  if (!payload.success) return null;
  const { operationId, toNodeId } = payload.data;
  const op = await db.operation.findUnique({ where: { id: operationId }, select: { status: true, targetId: true } });
  if (!op || (op.status !== "PENDING" && op.status !== "RUNNING")) return null;
  const siteId = op.targetId;
  await db.operation.updateMany({ where: { id: operationId, status: "PENDING" }, data: { status: "RUNNING", startedAt: new Date() } });
  const target = await db.node.findUniqueOrThrow({ where: { id: toNodeId }, select: { id: true, name: true, address: true, agentPort: true, status: true } });
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      ctx.log?.(`move ${siteId}: ${what} ${Math.round(performance.now() - started)} ms`, { siteId, operationId });
    }
  };
  return { ctx, db, operationId, siteId, toNodeId, target, targetAgent: agentClient(target, { clusterSecret: ctx.clusterSecret }), later: stepsLater(db, operationId), timed };
}

/**
 * Everything up to and including the switch of placements. False when the move stopped (it was
 * refused or aborted, the site stays on its source); true once the target is live.
 */
async function switchOver(m: Move, state: SiteState): Promise<boolean> {
  const { db, operationId, toNodeId } = m;
  const source = state.placements.find((p) => p.role === "PRIMARY");
  if (!source) throw new Error(`Site ${m.siteId} has no live node to move from.`);
  if (source.nodeId === toNodeId) {
    const message = `The site already runs on ${m.target.name}.`;
    await mark(db, operationId, "pre-copy", "FAILED", message);
    countSettled(await db.operation.update({ where: { id: operationId }, data: { status: "FAILED", lastError: message, finishedAt: new Date() }, select: { kind: true } }), "failed");
    movesTotal.inc({ outcome: "failed" });
    return false;
  }
  const sw: Switch = { source, databases: state.databases, targetTouched: false, committed: false };
  try {
    // The target holds the site as a replica first (its account exists, snapshots are kept).
    if (!state.placements.some((p) => p.nodeId === toNodeId)) {
      await db.placement.create({ data: { siteId: m.siteId, nodeId: toNodeId, role: "REPLICA", epoch: source.epoch, reason: "target of a planned move" } });
    }
    await mark(db, operationId, "pre-copy", "RUNNING");
  } catch (e) {
    await abort(m, sw, e, []);
    return false;
  }
  const aborted = await m.ctx.withLeases([toNodeId], async () => {
    const held = [toNodeId];
    try {
      const last = await preCopy(m, sw, held);
      return await heldWindowUnderLeases(m, sw, held, last);
    } catch (e) {
      await abort(m, sw, e, held);
      return true;
    }
  });
  return !aborted;
}

/**
 * From the pause to the release every node's reconcile lease is held, taken now, while nothing
 * is held: no reconcile pushes a route table meanwhile, and no route push in the held window waits
 * for a reconcile in progress to finish (they take ~0.5 s). True when the move was aborted.
 */
async function heldWindowUnderLeases(m: Move, sw: Switch, held: string[], last: Copy): Promise<boolean> {
  const others = (await liveNodes(m.db)).map((n) => n.id).filter((id) => id !== m.toNodeId);
  return m.ctx.withLeases(others, async () => {
    const all = [...held, ...others];
    try {
      await heldWindow(m, sw, all, last);
      return false;
    } catch (e) {
      // Once the switch is committed the target is live: no abort, the rest is retried after.
      if (sw.committed) return false;
      await abort(m, sw, e, all);
      return true;
    }
  });
}

/**
 * pre-copy: the target converged as a replica, the site routed through the hold services,
 * snapshots sent until the delta is small, the newest staged on the target as a standby and the
 * target converged for the site, unrouted. Returns the newest copy.
 */
async function preCopy(m: Move, sw: Switch, held: readonly string[]): Promise<Copy> {
  const { ctx, siteId, toNodeId } = m;
  // Forced: the target must really hold the account now, not merely have been sent it once.
  await m.timed("target converged as a replica", () => reconcileNode(ctx, toNodeId, true));
  // Every edge sends the site through its hold service from now on (still to the source): the
  // one nginx reload per edge a move needs happens here, while nothing is held. It comes before
  // the pre-copy so that requests an old nginx worker still sent straight to the source are long
  // finished by the drain, which counts only the hold services' own.
  await m.timed("route via the hold services", () => publishRoutes(ctx, { viaHold: siteId, held }));
  let last: Copy | null = null;
  let previous: string | undefined;
  for (let round = 1; round <= 4; round++) {
    const base = previous;
    last = await m.timed(`pre-copy round ${round}`, () => copySnapshot(m, sw, false, base));
    previous = last.name;
    ctx.log?.(`move ${siteId}: pre-copy round ${round} sent ${last.bytes} bytes`, { siteId, operationId: m.operationId });
    if (last.bytes < (ctx.smallDeltaBytes ?? 2_000_000)) break;
  }
  sw.targetTouched = true;
  await stageTarget(m, sw, last!);
  await mark(m.db, m.operationId, "pre-copy", "SUCCEEDED");
  return last!;
}

/**
 * The target as it will serve, minus the last changes: the newest pre-copy as a standby volume
 * with its databases loaded, then its vhost, pool and database users. None of it is routed; the
 * promote only swaps the final snapshot in.
 */
async function stageTarget(m: Move, sw: Switch, last: Copy): Promise<void> {
  const { siteId, toNodeId } = m;
  await m.timed("standby staged", () => m.targetAgent.stage(siteId, last.name, sw.databases, 300_000));
  const spec = await targetSpecAfterMove(m.ctx, siteId, sw.source.nodeId, toNodeId, sw.databases);
  const converged = await m.timed("target converged for the site", () => m.targetAgent.putSpec(spec));
  if (!converged.ok) {
    const failed = converged.results.filter((r) => !r.ok).map((r) => `${r.step}: ${"error" in r ? r.error : ""}`);
    throw new Error(`The target could not be prepared: ${failed.join("; ")}`);
  }
  // Invalidate the spec hash: the target now has more than its Postgres spec says.
  await m.db.node.update({ where: { id: toNodeId }, data: { appliedSpecHash: null } });
}

/**
 * A snapshot of the source sent to the target, incrementally from the newest both hold.
 * sizeLater: the final delta's snapshot is sized after the release (agent-client.ts
 * createSnapshot). reuse: the snapshot the target already has; when nothing changed since, that
 * one is the copy (nothing taken, nothing sent).
 */
async function copySnapshot(m: Move, sw: Switch, sizeLater: boolean, reuse?: string): Promise<Copy> {
  const { db, siteId, toNodeId } = m;
  const { source } = sw;
  const sourceAgent = agentClient(source.node, { clusterSecret: m.ctx.clusterSecret });
  const rows = await db.snapshot.findMany({ where: { siteId, nodeId: { in: [source.nodeId, toNodeId] } }, orderBy: { takenAt: "desc" }, select: { name: true, nodeId: true } });
  const onTarget = new Set(rows.filter((r) => r.nodeId === toNodeId).map((r) => r.name));
  const parent = rows.find((r) => r.nodeId === source.nodeId && onTarget.has(r.name))?.name ?? null;
  const t0 = performance.now();
  const info = await sourceAgent.createSnapshot(siteId, snapshotName("mv", new Date()), sw.databases, { sizeLater, timeoutMs: 300_000, ...(reuse && onTarget.has(reuse) ? { reuseIfUnchanged: reuse } : {}) });
  const t1 = performance.now();
  if (info.reused) {
    m.ctx.log?.(`move ${siteId}: nothing changed since ${info.name} (files checked in ${info.timingsMs.snapshot} ms, databases in ${info.timingsMs.dump} ms): it is the final copy`, { siteId, operationId: m.operationId });
    return { name: info.name, bytes: 0 };
  }
  const row = { siteId, name: info.name, kind: "MANUAL" as const, epoch: source.epoch, takenAt: new Date(info.takenAt) };
  await db.snapshot.create({ data: { ...row, nodeId: source.nodeId, sizeBytes: BigInt(info.sizeBytes) } });
  const t2 = performance.now();
  const sent = await sourceAgent.sendSnapshotTo(m.targetAgent, siteId, info.name, parent, sizeLater);
  const t3 = performance.now();
  await db.snapshot.create({ data: { ...row, nodeId: toNodeId, sizeBytes: BigInt(sent.info.sizeBytes) } });
  const kept = info.keptDumps.length ? `, unchanged since the last: ${info.keptDumps.join(", ")}` : "";
  const notReused = info.notReused ? `; not ${reuse} again: ${info.notReused}` : "";
  m.ctx.log?.(`move ${siteId}: snapshot ${info.name}: taken ${Math.round(t1 - t0)} ms (dump ${info.timingsMs.dump}${kept}, snapshot ${info.timingsMs.snapshot}${notReused}), recorded ${Math.round(t2 - t1)} ms, sent ${sent.bytes} bytes in ${Math.round(t3 - t2)} ms`, { siteId, operationId: m.operationId });
  return { name: info.name, bytes: sent.bytes };
}

/** pause → drain → final delta → promote and switch → route + release, all with `held` leases. */
async function heldWindow(m: Move, sw: Switch, held: readonly string[], last: Copy): Promise<void> {
  const paused = await pause(m, held);
  await drain(m, sw, paused.reloaded.length > 0);
  const final = await finalDelta(m, sw, last);
  await promoteTarget(m, sw, final);
  // Forward only from here (an error is retried, not aborted), but still under the leases: one
  // push routes to the target (epoch + 1) and releases, through the hold services.
  try {
    await routeAndRelease(m, held, m.later);
  } catch (e) {
    m.ctx.log?.(`move ${m.siteId}: route + release failed, retried after the leases: ${e instanceof Error ? e.message : String(e)}`, { siteId: m.siteId, operationId: m.operationId });
  }
}

/** pause: every edge holds the site's requests (the hold services' decision flips, no reload). */
async function pause(m: Move, held: readonly string[]): Promise<PublishResult> {
  m.later.mark("pause", "RUNNING");
  const paused = await m.timed("pause", () => setPaused(m.ctx, m.siteId, true, { viaHold: m.siteId, held }));
  m.later.mark("pause", "SUCCEEDED");
  return paused;
}

/**
 * drain: every request of the site goes through the hold services now, so each edge counts what
 * it still has in flight to the source; a paused site gets no new ones.
 */
async function drain(m: Move, sw: Switch, reloadedToPause: boolean): Promise<void> {
  const { ctx, siteId } = m;
  m.later.mark("drain", "RUNNING");
  const drainMs = ctx.drainMs ?? 10_000;
  const nodes = await liveNodes(m.db);
  const drains = await m.timed("drain", () => Promise.all(nodes.map(async (n) => ({ node: n.name, ...(await agentClient(n, { clusterSecret: ctx.clusterSecret }).drain(siteId, drainMs)) }))));
  const busy = drains.filter((d) => !d.drained);
  if (busy.length) throw new Error(`Requests were still running on ${sw.source.node.name} after ${drainMs} ms (${busy.map((d) => `${d.inFlight} via ${d.node}`).join(", ")}).`);
  // An edge that had to reload to pause (a reconcile pushed the plain route meanwhile) may have
  // an old nginx worker still finishing a request it sent straight to the source, which no hold
  // service counts: give it a second's grace.
  if (reloadedToPause) await new Promise((r) => setTimeout(r, 1_000));
  m.later.mark("drain", "SUCCEEDED");
}

/** final-delta: a last snapshot of files and databases goes to the target. */
async function finalDelta(m: Move, sw: Switch, last: Copy): Promise<Copy> {
  m.later.mark("final-delta", "RUNNING");
  const final = await m.timed("final delta", () => copySnapshot(m, sw, true, last.name));
  m.ctx.log?.(`move ${m.siteId}: final delta ${final.bytes} bytes`, { siteId: m.siteId, operationId: m.operationId });
  m.later.mark("final-delta", "SUCCEEDED");
  return final;
}

/** start-target: the target swaps its standby for the final snapshot; placements switch, epoch + 1. */
async function promoteTarget(m: Move, sw: Switch, final: Copy): Promise<void> {
  const { siteId, toNodeId, target } = m;
  const { source } = sw;
  m.later.mark("start-target", "RUNNING");
  const promoted = await m.timed("promote", () => m.targetAgent.promote(siteId, final.name, sw.databases, 300_000));
  m.ctx.log?.(`move ${siteId}: promoted in ${promoted.timingsMs.total} ms (files ${promoted.timingsMs.files} ms, databases ${promoted.timingsMs.databases} ms; unchanged, not reloaded: ${promoted.unchangedDatabases.join(", ") || "none"})`, { siteId, operationId: m.operationId });
  await m.db.$transaction(async (tx) => {
    await lockClusterState(tx);
    await tx.placement.update({ where: { id: source.id }, data: { role: "REPLICA", reason: `moved to ${target.name}` } });
    await tx.placement.updateMany({ where: { siteId, nodeId: toNodeId }, data: { role: "PRIMARY", epoch: source.epoch + 1, reason: `planned move from ${source.node.name}` } });
    await tx.database.updateMany({ where: { siteId, deletedAt: null }, data: { nodeId: toNodeId } });
    const version = await bumpRoutesVersion(tx);
    // Released in the same commit: the one route push after this both routes and releases.
    await tx.site.update({ where: { id: siteId }, data: { paused: false, routeVersion: version, generation: { increment: 1 } } });
  });
  sw.committed = true;
  m.later.mark("start-target", "SUCCEEDED");
}

/** route + release, still through the hold services: no reload, the held requests go to the target at once. */
async function routeAndRelease(m: Move, held: readonly string[], steps: ReturnType<typeof stepsLater>): Promise<void> {
  steps.mark("route", "RUNNING");
  steps.mark("release", "RUNNING");
  await m.timed("route + release", () => publishRoutes(m.ctx, { viaHold: m.siteId, held }));
  steps.mark("route", "SUCCEEDED");
  steps.mark("release", "SUCCEEDED");
  await steps.flush();
}

/**
 * Not switched yet: the source still serves. Requests may be held: they go first; then the
 * target's standby is converged away and the operation fails with the reason.
 */
async function abort(m: Move, sw: Switch, e: unknown, held: readonly string[]): Promise<void> {
  const { ctx, db, siteId, toNodeId, operationId } = m;
  const message = e instanceof Error ? e.message : String(e);
  ctx.log?.(`move ${siteId}: aborted: ${message}`, { siteId, operationId });
  // The marks of the steps so far land first, so the failed one is the one marked below.
  await m.later.flush().catch(() => undefined);
  await setPaused(ctx, siteId, false, { held }).catch((err: unknown) => ctx.log?.(`move ${siteId}: unpause after abort: ${String(err)}`, { siteId, operationId }));
  if (sw.targetTouched) {
    const demote = () => reconcileNode(ctx, toNodeId, true);
    await (held.includes(toNodeId) ? demote() : ctx.withLeases([toNodeId], demote)).catch((err: unknown) => ctx.log?.(`move ${siteId}: demoting the target's standby: ${String(err)}`, { siteId, operationId }));
  }
  await db.operationStep.updateMany({ where: { operationId, status: "RUNNING" }, data: { status: "FAILED", lastError: message, finishedAt: new Date() } });
  countSettled(await db.operation.update({ where: { id: operationId }, data: { status: "FAILED", lastError: `Move aborted, the site stays on ${sw.source.node.name}: ${message}`, finishedAt: new Date() }, select: { kind: true } }), "failed");
  movesTotal.inc({ outcome: "failed" });
}

/**
 * Forward only: the target is live in Postgres (epoch + 1). The steps a cut-short run left are
 * done, the source becomes a replica, and the route goes back to the plain front door. An error
 * is kept on the operation and the job retried.
 */
async function finishMove(m: Move, state: SiteState): Promise<void> {
  const { db, operationId } = m;
  try {
    await m.later.flush();
    if (!(await done(db, operationId, "start-target"))) await mark(db, operationId, "start-target", "SUCCEEDED");
    if (!(await done(db, operationId, "release"))) await routeAndRelease(m, [], m.later);
    await sourceBecomesReplica(m, state);
    const edges = await db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { address: true, httpPort: true } });
    const statuses = await Promise.all(edges.map((e) => (m.ctx.probe ?? probeEdge)(e, state.site.domain.name)));
    m.ctx.log?.(`move ${m.siteId}: done, edges answer ${statuses.join(", ")}`, { siteId: m.siteId, operationId });
    countSettled(await db.operation.update({ where: { id: operationId }, data: { status: "SUCCEEDED", finishedAt: new Date(), lastError: null }, select: { kind: true } }), "succeeded");
    movesTotal.inc({ outcome: "succeeded" });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await db.operation.update({ where: { id: operationId }, data: { lastError: message } });
    if (e instanceof AgentUnreachableError) throw new ReconcileRetry(message);
    throw e;
  }
}

/**
 * The target's own converge records what it serves (it changes nothing: the standby's converge
 * already wrote it all); the source drops its vhost, pool, databases and volume; then nginx goes
 * straight to the target's backend again (one reload per edge).
 */
async function sourceBecomesReplica(m: Move, state: SiteState): Promise<void> {
  const { ctx, db, operationId } = m;
  const live = state.placements.find((p) => p.role === "PRIMARY")!;
  const old = state.placements.filter((p) => p.role === "REPLICA" && p.nodeId !== live.nodeId);
  await mark(db, operationId, "source becomes replica", "RUNNING");
  await ctx.withLeases([live.nodeId], () => reconcileNode(ctx, live.nodeId, false));
  for (const o of old) await ctx.withLeases([o.nodeId], () => reconcileNode(ctx, o.nodeId, false));
  await m.timed("plain route", () => publishRoutes(ctx));
  await mark(db, operationId, "source becomes replica", "SUCCEEDED");
}
