import { z } from "zod";
import type { Db } from "../../server/db";
import { agentClient, AgentUnreachableError } from "./agent-client";
import { buildNodeSpec } from "./build-node-spec";
import { markStep, probeEdge, type EdgeProbe } from "./operation-progress";
import { bumpRoutesVersion, lockClusterState, setSitesPaused } from "./read-route-table";
import { targetSpecAfterMove as mergeTargetSpec, type MoveStepKind } from "../../server/domain/move-steps";
import { ReconcileRetry, reconcileNode } from "./reconcile-node";
import { countSettled, movesTotal } from "./control-metrics";
import { publishRoutes, type PublishOptions } from "./publish-routes";
import { snapshotName } from "../../server/domain/snapshot-name";
import type { Log } from "../../server/observability/logger";

// A planned move (DESIGN "A site's life" 3), as an Operation whose steps the panel shows live:
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
 * window does not wait for two statements per mark (about 10 ms each on a busy machine). flush()
 * waits for them (and fails if one did).
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
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      ctx.log?.(`move ${siteId}: ${what} ${Math.round(performance.now() - started)} ms`, { siteId, operationId });
    }
  };

  // Still through the hold services: no reload, the held requests go to the target at once.
  const later = stepsLater(db, operationId);
  const release = async (held: readonly string[], steps = later) => {
    steps.mark("route", "RUNNING");
    steps.mark("release", "RUNNING");
    await timed("route + release", () => publishRoutes(ctx, { viaHold: siteId, held }));
    steps.mark("route", "SUCCEEDED");
    steps.mark("release", "SUCCEEDED");
    await steps.flush();
  };

  const switched = await done(db, operationId, "start-target");
  if (!switched) {
    const source = state.placements.find((p) => p.role === "PRIMARY");
    if (!source) throw new Error(`Site ${siteId} has no live node to move from.`);
    if (source.nodeId === toNodeId) {
      await mark(db, operationId, "pre-copy", "FAILED", `The site already runs on ${target.name}.`);
      countSettled(await db.operation.update({ where: { id: operationId }, data: { status: "FAILED", lastError: `The site already runs on ${target.name}.`, finishedAt: new Date() }, select: { kind: true } }), "failed");
      movesTotal.inc({ outcome: "failed" });
      return;
    }
    // Set once the target may hold a standby or the live site: an abort converges it back to a replica.
    let targetTouched = false;
    // Set once the placements have switched in Postgres: from then on only forward.
    let committed = false;
    const abort = async (e: unknown, held: readonly string[]) => {
      // Not switched yet: the source still serves. Requests may be held: they go first.
      const message = e instanceof Error ? e.message : String(e);
      ctx.log?.(`move ${siteId}: aborted: ${message}`, { siteId, operationId });
      // The marks of the steps so far land first, so the failed one is the one marked below.
      await later.flush().catch(() => undefined);
      await setPaused(ctx, siteId, false, { held }).catch((err: unknown) => ctx.log?.(`move ${siteId}: unpause after abort: ${String(err)}`, { siteId, operationId }));
      if (targetTouched) {
        const demote = () => reconcileNode(ctx, toNodeId, true);
        await (held.includes(toNodeId) ? demote() : ctx.withLeases([toNodeId], demote)).catch((err: unknown) => ctx.log?.(`move ${siteId}: demoting the target's standby: ${String(err)}`, { siteId, operationId }));
      }
      await db.operationStep.updateMany({ where: { operationId, status: "RUNNING" }, data: { status: "FAILED", lastError: message, finishedAt: new Date() } });
      countSettled(await db.operation.update({ where: { id: operationId }, data: { status: "FAILED", lastError: `Move aborted, the site stays on ${source.node.name}: ${message}`, finishedAt: new Date() }, select: { kind: true } }), "failed");
      movesTotal.inc({ outcome: "failed" });
    };

    try {
      // The target holds the site as a replica first (its account exists, snapshots are kept).
      if (!state.placements.some((p) => p.nodeId === toNodeId)) {
        await db.placement.create({ data: { siteId, nodeId: toNodeId, role: "REPLICA", epoch: source.epoch, reason: "target of a planned move" } });
      }
      await mark(db, operationId, "pre-copy", "RUNNING");
    } catch (e) {
      await abort(e, []);
      return;
    }

    const aborted = await ctx.withLeases([toNodeId], async () => {
      const held = [toNodeId];
      try {
        // Forced: the target must really hold the account now, not merely have been sent it once.
        await timed("target converged as a replica", () => reconcileNode(ctx, toNodeId, true));
        // Every edge sends the site through its hold service from now on (still to the source):
        // the one nginx reload per edge a move needs happens here, while nothing is held. It
        // comes before the pre-copy so that requests an old nginx worker still sent straight to
        // the source are long finished by the drain, which counts only the hold services' own.
        await timed("route via the hold services", () => publishRoutes(ctx, { viaHold: siteId, held }));

        const sourceAgent = agentClient(source.node, { clusterSecret: ctx.clusterSecret });
        // sizeLater: the final delta's snapshot is sized after the release (agent-client.ts createSnapshot).
        // reuse: the snapshot the target already has; when nothing changed since, that one is
        // the copy (nothing taken, nothing sent).
        const copy = async (kind: string, sizeLater = false, reuse?: string): Promise<{ name: string; bytes: number }> => {
          const rows = await db.snapshot.findMany({ where: { siteId, nodeId: { in: [source.nodeId, toNodeId] } }, orderBy: { takenAt: "desc" }, select: { name: true, nodeId: true } });
          const onTarget = new Set(rows.filter((r) => r.nodeId === toNodeId).map((r) => r.name));
          const parent = rows.find((r) => r.nodeId === source.nodeId && onTarget.has(r.name))?.name ?? null;
          const t0 = performance.now();
          const info = await sourceAgent.createSnapshot(siteId, snapshotName(kind, new Date()), state.databases, { sizeLater, timeoutMs: 300_000, ...(reuse && onTarget.has(reuse) ? { reuseIfUnchanged: reuse } : {}) });
          const t1 = performance.now();
          if (info.reused) {
            ctx.log?.(`move ${siteId}: nothing changed since ${info.name} (files checked in ${info.timingsMs.snapshot} ms, databases in ${info.timingsMs.dump} ms): it is the final copy`, { siteId, operationId });
            return { name: info.name, bytes: 0 };
          }
          await db.snapshot.create({ data: { siteId, nodeId: source.nodeId, name: info.name, kind: "MANUAL", epoch: source.epoch, sizeBytes: BigInt(info.sizeBytes), takenAt: new Date(info.takenAt) } });
          const t2 = performance.now();
          const sent = await sourceAgent.sendSnapshotTo(targetAgent, siteId, info.name, parent, sizeLater);
          const t3 = performance.now();
          await db.snapshot.create({ data: { siteId, nodeId: toNodeId, name: info.name, kind: "MANUAL", epoch: source.epoch, sizeBytes: BigInt(sent.info.sizeBytes), takenAt: new Date(info.takenAt) } });
          ctx.log?.(`move ${siteId}: snapshot ${info.name}: taken ${Math.round(t1 - t0)} ms (dump ${info.timingsMs.dump}${info.keptDumps.length ? `, unchanged since the last: ${info.keptDumps.join(", ")}` : ""}, snapshot ${info.timingsMs.snapshot}${info.notReused ? `; not ${reuse} again: ${info.notReused}` : ""}), recorded ${Math.round(t2 - t1)} ms, sent ${sent.bytes} bytes in ${Math.round(t3 - t2)} ms`, { siteId, operationId });
          return { name: info.name, bytes: sent.bytes };
        };

        let last: { name: string; bytes: number } | null = null;
        let previous: string | undefined;
        for (let round = 1; round <= 4; round++) {
          const base = previous;
          last = await timed(`pre-copy round ${round}`, () => copy("mv", false, base));
          previous = last.name;
          ctx.log?.(`move ${siteId}: pre-copy round ${round} sent ${last.bytes} bytes`, { siteId, operationId });
          if (last.bytes < (ctx.smallDeltaBytes ?? 2_000_000)) break;
        }
        // The target as it will serve, minus the last changes: the newest pre-copy as a standby
        // volume with its databases loaded, then its vhost, pool and database users. None of it
        // is routed; the final promote only swaps the final snapshot in.
        targetTouched = true;
        await timed("standby staged", () => targetAgent.stage(siteId, last!.name, state.databases, 300_000));
        const spec = await targetSpecAfterMove(ctx, siteId, source.nodeId, toNodeId, state.databases);
        const converged = await timed("target converged for the site", () => targetAgent.putSpec(spec));
        if (!converged.ok) {
          const failed = converged.results.filter((r) => !r.ok).map((r) => `${r.step}: ${"error" in r ? r.error : ""}`);
          throw new Error(`The target could not be prepared: ${failed.join("; ")}`);
        }
        // Invalidate the spec hash: the target now has more than its Postgres spec says.
        await db.node.update({ where: { id: toNodeId }, data: { appliedSpecHash: null } });
        await mark(db, operationId, "pre-copy", "SUCCEEDED");

        const heldWindow = async (held: readonly string[]): Promise<boolean> => {
          later.mark("pause", "RUNNING");
          const paused = await timed("pause", () => setPaused(ctx, siteId, true, { viaHold: siteId, held }));
          later.mark("pause", "SUCCEEDED");

          later.mark("drain", "RUNNING");
          // Every request of the site goes through the hold services now, so each edge counts
          // what it still has in flight to the source; a paused site gets no new ones.
          const drainMs = ctx.drainMs ?? 10_000;
          const nodes = await liveNodes(db);
          const drains = await timed("drain", () => Promise.all(nodes.map(async (n) => ({ node: n.name, ...(await agentClient(n, { clusterSecret: ctx.clusterSecret }).drain(siteId, drainMs)) }))));
          const busy = drains.filter((d) => !d.drained);
          if (busy.length) throw new Error(`Requests were still running on ${source.node.name} after ${drainMs} ms (${busy.map((d) => `${d.inFlight} via ${d.node}`).join(", ")}).`);
          // An edge that had to reload to pause (a reconcile pushed the plain route meanwhile) may
          // have an old nginx worker still finishing a request it sent straight to the source,
          // which no hold service counts: give it the grace the drain used to be.
          if (paused.reloaded.length) await new Promise((r) => setTimeout(r, 1_000));
          later.mark("drain", "SUCCEEDED");

          later.mark("final-delta", "RUNNING");
          const final = await timed("final delta", () => copy("mv", true, last!.name));
          ctx.log?.(`move ${siteId}: final delta ${final.bytes} bytes`, { siteId, operationId });
          later.mark("final-delta", "SUCCEEDED");

          later.mark("start-target", "RUNNING");
          const promoted = await timed("promote", () => targetAgent.promote(siteId, final.name, state.databases, 300_000));
          ctx.log?.(`move ${siteId}: promoted in ${promoted.timingsMs.total} ms (files ${promoted.timingsMs.files} ms, databases ${promoted.timingsMs.databases} ms; unchanged, not reloaded: ${promoted.unchangedDatabases.join(", ") || "none"})`, { siteId, operationId });
          await db.$transaction(async (tx) => {
            await lockClusterState(tx);
            const epoch = source.epoch + 1;
            await tx.placement.update({ where: { id: source.id }, data: { role: "REPLICA", reason: `moved to ${target.name}` } });
            await tx.placement.updateMany({ where: { siteId, nodeId: toNodeId }, data: { role: "PRIMARY", epoch, reason: `planned move from ${source.node.name}` } });
            await tx.database.updateMany({ where: { siteId, deletedAt: null }, data: { nodeId: toNodeId } });
            const version = await bumpRoutesVersion(tx);
            // Released in the same commit: the one route push below both routes and releases.
            await tx.site.update({ where: { id: siteId }, data: { paused: false, routeVersion: version, generation: { increment: 1 } } });
          });
          committed = true;
          later.mark("start-target", "SUCCEEDED");
          // Forward only from here (an error is retried, not aborted), but still under the leases:
          // one push routes to the target (epoch + 1) and releases, through the hold services.
          try {
            await release(held, later);
          } catch (e) {
            ctx.log?.(`move ${siteId}: route + release failed, retried after the leases: ${e instanceof Error ? e.message : String(e)}`, { siteId, operationId });
          }
          return false;
        };

        // From the pause to the release every node's reconcile lease is held, taken now, while
        // nothing is held: no reconcile pushes a route table meanwhile, and no route push in the
        // held window waits for a reconcile in progress to finish (they take ~0.5 s).
        const others = (await liveNodes(db)).map((n) => n.id).filter((id) => id !== toNodeId);
        return await ctx.withLeases(others, async () => {
          const all = [...held, ...others];
          try {
            return await heldWindow(all);
          } catch (e) {
            // Once the switch is committed the target is live: no abort, the rest is retried below.
            if (committed) return false;
            await abort(e, all);
            return true;
          }
        });
      } catch (e) {
        await abort(e, held);
        return true;
      }
    });
    if (aborted) return;
    state = await load();
  }

  // Forward only from here: the target is live in Postgres (epoch + 1).
  try {
    await later.flush();
    const live = state.placements.find((p) => p.role === "PRIMARY")!;
    const old = state.placements.filter((p) => p.role === "REPLICA" && p.nodeId !== live.nodeId);
    if (!(await done(db, operationId, "start-target"))) await mark(db, operationId, "start-target", "SUCCEEDED");
    if (!(await done(db, operationId, "release"))) await release([]);
    await mark(db, operationId, "source becomes replica", "RUNNING");
    // The target's own converge records what it serves (it changes nothing: the standby's
    // converge already wrote it all); the source drops its vhost, pool, databases and volume.
    await ctx.withLeases([live.nodeId], () => reconcileNode(ctx, live.nodeId, false));
    for (const o of old) await ctx.withLeases([o.nodeId], () => reconcileNode(ctx, o.nodeId, false));
    // Back to the plain front door: nginx straight to the target's backend (one reload per edge).
    await timed("plain route", () => publishRoutes(ctx));
    await mark(db, operationId, "source becomes replica", "SUCCEEDED");
    const statuses = await Promise.all((await db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { address: true, httpPort: true } })).map((e) => (ctx.probe ?? probeEdge)(e, state.site.domain.name)));
    ctx.log?.(`move ${siteId}: done, edges answer ${statuses.join(", ")}`, { siteId, operationId });
    countSettled(await db.operation.update({ where: { id: operationId }, data: { status: "SUCCEEDED", finishedAt: new Date(), lastError: null }, select: { kind: true } }), "succeeded");
    movesTotal.inc({ outcome: "succeeded" });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await db.operation.update({ where: { id: operationId }, data: { lastError: message } });
    if (e instanceof AgentUnreachableError) throw new ReconcileRetry(message);
    throw e;
  }
}
