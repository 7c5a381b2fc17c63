import type { Db } from "../../server/db";
import { agentClient } from "./agent-client";
import { markStep } from "./operation-progress";
import { bumpRoutesVersion, lockClusterState, setSitesPaused } from "./read-route-table";
import { planFailover, type FailoverDecision, type Health, type NodeHealth } from "../../server/domain/failure-detector";
import { publishRoutes, type WithLeases } from "./publish-routes";
import { reconcileNode } from "./reconcile-node";
import { failoverStepKinds, operationKind, type FailoverStepKind } from "../../server/domain/operation-kinds";
import { countSettled, failoversTotal } from "./control-metrics";
import type { Log } from "../../server/observability/logger";

// Failover: the heartbeat has declared nodes DEAD (heartbeat.ts, with
// its peers' confirmation). For every site whose live copy was on one of them:
//   hold       every edge holds the site's requests (paused), instead of failing them
//   promote    the freshest replica's newest snapshot becomes its live volume and databases
//   fence      in one transaction: the dead primary becomes a replica, the replica becomes
//              PRIMARY with the epoch + 1 (no edge accepts the old epoch again), databases follow
//   start      the new primary's vhost, pool and database users (its reconcile)
//   release    every edge routes the site to the new primary; the held requests go there
// Sites are handled together: one route push to hold them all, promotes in parallel, one push
// to release. Each site's failover is an Operation whose steps the panel shows.
//
// Safe to run again at any point (a worker killed half-way, two ticks): planFailover only picks
// sites whose PRIMARY is still on a dead node, and the fence is conditional on that placement.

export type FailoverContext = {
  db: Db;
  clusterSecret: string;
  withLeases: WithLeases;
  log?: Log;
  /** At most this many promotes at once. */
  parallel?: number;
};

export type FailoverOutcome = FailoverDecision & { ok: boolean; snapshot: string | null; error: string | null; ms: number };

const healthOf = (status: string): Health => (status === "DEAD" ? "DEAD" : status === "DEGRADED" || status === "PENDING" ? "SUSPECT" : "HEALTHY");

/**
 * The fenced placement's reason starts with this until its node has rejoined: rejoin.ts looks for
 * it to keep what the old primary holds beyond the promoted copy (its divergent data).
 */
export const fencedReasonPrefix = "fenced at epoch";

type NodeRow = { id: string; name: string; address: string; agentPort: number; status: string };
type StepKind = FailoverStepKind;

/** One failover round: the nodes by id, and each site's operation (marked step by step). */
type Round = {
  ctx: FailoverContext;
  nodeById: Map<string, NodeRow>;
  name: (id: string | null) => string;
  step(siteId: string, kind: StepKind, status: "RUNNING" | "SUCCEEDED" | "FAILED", error?: string | null): Promise<void>;
  operationOf(siteId: string): string | undefined;
};

const notMoved = (decisions: FailoverDecision[]): FailoverOutcome[] => decisions.map((d) => ({ ...d, ok: false, snapshot: null, error: d.reason, ms: 0 }));

export async function failOver(ctx: FailoverContext, deadNodeIds: readonly string[]): Promise<FailoverOutcome[]> {
  if (deadNodeIds.length === 0) return [];
  const started = performance.now();
  const since = () => Math.round(performance.now() - started);
  const planned = await planRound(ctx, deadNodeIds);
  if (!planned) return [];
  const { decisions, nodes } = planned;
  const movable = decisions.filter((d) => d.toNodeId !== null);
  const stranded = decisions.filter((d) => d.toNodeId === null);
  if (movable.length === 0) return notMoved(decisions);

  const round = await openOperations(ctx, nodes, movable);
  await hold(round, movable);
  const heldMs = since();
  const outcomes = await promoteAll(round, movable);
  const promotedMs = since();
  const ok = outcomes.filter((o) => o.ok);
  await startPrimaries(round, ok);
  const startedMs = since();
  await release(round, movable, outcomes);
  ctx.log?.(`failover of ${movable.length} site(s) from ${deadNodeIds.map(round.name).join(", ")}: ${ok.length} promoted in ${since()} ms (held at ${heldMs}, promoted at ${promotedMs}, started at ${startedMs})`, { deadNodeIds });
  return [...outcomes, ...notMoved(stranded)];
}

/** The sites whose live copy was on a dead node, and where each goes (planFailover); null if none. */
async function planRound(ctx: FailoverContext, deadNodeIds: readonly string[]): Promise<{ decisions: FailoverDecision[]; nodes: NodeRow[] } | null> {
  const { db } = ctx;
  const siteIds = (
    await db.placement.findMany({ where: { role: "PRIMARY", nodeId: { in: [...deadNodeIds] }, site: { deletedAt: null } }, select: { siteId: true } })
  ).map((p) => p.siteId);
  if (siteIds.length === 0) return null;
  const [placements, newest, nodes] = await Promise.all([
    db.placement.findMany({ where: { siteId: { in: siteIds } }, select: { id: true, siteId: true, nodeId: true, role: true, epoch: true } }),
    db.snapshot.groupBy({ by: ["siteId", "nodeId"], where: { siteId: { in: siteIds }, nodeId: { not: null } }, _max: { takenAt: true } }),
    db.node.findMany({ select: { id: true, name: true, address: true, agentPort: true, status: true } }),
  ]);
  const health: Record<string, NodeHealth> = Object.fromEntries(nodes.map((n) => [n.id, { state: healthOf(n.status), since: 0, deadFlipAt: null }]));
  const decisions = planFailover(
    deadNodeIds,
    placements,
    newest.map((n) => ({ siteId: n.siteId, nodeId: n.nodeId!, lastSnapshotAt: n._max.takenAt?.getTime() ?? null })),
    health,
  );
  for (const d of decisions) ctx.log?.(`failover ${d.siteId}: ${d.reason}`, { siteId: d.siteId });
  return { decisions, nodes };
}

/** One operation per site, visible to the admin (and the customer: their site moved node), audited. */
async function openOperations(ctx: FailoverContext, nodes: NodeRow[], movable: FailoverDecision[]): Promise<Round> {
  const { db } = ctx;
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  const name = (id: string | null) => (id ? (nodeById.get(id)?.name ?? id) : "none");
  const ops = new Map<string, string>();
  for (const d of movable) {
    const site = await db.site.findUnique({ where: { id: d.siteId }, select: { domain: { select: { name: true } }, account: { select: { customer: { select: { id: true, resellerId: true } } } } } });
    if (!site) continue;
    const tenancy = { resellerId: site.account.customer.resellerId, customerId: site.account.customer.id };
    const stepTarget = (kind: StepKind) => (kind === "promote" || kind === "start" ? name(d.toNodeId) : kind === "fence" ? name(d.fromNodeId) : site.domain.name);
    const op = await db.operation.create({
      data: {
        ...tenancy,
        kind: operationKind.siteFailover,
        targetType: "Site",
        targetId: d.siteId,
        status: "RUNNING",
        startedAt: new Date(),
        steps: { create: failoverStepKinds.map((kind, index) => ({ index, kind, target: stepTarget(kind) })) },
      },
      select: { id: true },
    });
    ops.set(d.siteId, op.id);
    await db.auditEvent.create({
      data: {
        ...tenancy,
        actorEmail: "failover",
        action: operationKind.siteFailover,
        targetType: "Site",
        targetId: d.siteId,
        before: { node: name(d.fromNodeId) },
        after: { node: name(d.toNodeId), epoch: d.epoch, reason: d.reason },
      },
    });
  }
  return {
    ctx,
    nodeById,
    name,
    operationOf: (siteId) => ops.get(siteId),
    step: (siteId, kind, status, error) => {
      const op = ops.get(siteId);
      return op ? markStep(db, op, kind, status, error) : Promise.resolve();
    },
  };
}

/** hold: every edge parks the sites' requests while their new primary starts. */
async function hold(round: Round, movable: FailoverDecision[]): Promise<void> {
  const { ctx } = round;
  await Promise.all(movable.map((d) => round.step(d.siteId, "hold", "RUNNING")));
  await setSitesPaused(ctx.db, movable.map((d) => d.siteId), true);
  const held = await publishRoutes(ctx, { onFailure: "skip" });
  if (held.failed.length) ctx.log?.(`failover: hold not applied on ${held.failed.map((f) => `${f.nodeName} (${f.error})`).join(", ")}`);
  await Promise.all(movable.map((d) => round.step(d.siteId, "hold", "SUCCEEDED")));
}

/** promote + fence, several sites at once (at most ctx.parallel). */
async function promoteAll(round: Round, movable: FailoverDecision[]): Promise<FailoverOutcome[]> {
  const outcomes: FailoverOutcome[] = [];
  const queue = [...movable];
  const worker = async () => {
    for (let d = queue.shift(); d; d = queue.shift()) outcomes.push(await promoteAndFence(round, d));
  };
  await Promise.all(Array.from({ length: Math.min(round.ctx.parallel ?? 4, movable.length) }, worker));
  return outcomes;
}

async function promoteAndFence(round: Round, d: FailoverDecision): Promise<FailoverOutcome> {
  const { ctx, name } = round;
  const t0 = performance.now();
  // The step that fails is the one marked so (a fence whose transaction fails is not a promote).
  let at: "promote" | "fence" = "promote";
  try {
    await round.step(d.siteId, "promote", "RUNNING");
    const snapshot = await promoteOnReplica(ctx, d, round.nodeById.get(d.toNodeId!)!);
    await round.step(d.siteId, "promote", "SUCCEEDED");
    at = "fence";
    await round.step(d.siteId, "fence", "RUNNING");
    const fenced = await fence(ctx.db, d, snapshot, name);
    await round.step(d.siteId, "fence", fenced ? "SUCCEEDED" : "FAILED", fenced ? null : "The site's live node changed meanwhile; nothing was fenced.");
    return { ...d, ok: fenced, snapshot, error: fenced ? null : "placement changed meanwhile", ms: Math.round(performance.now() - t0) };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    ctx.log?.(`failover ${d.siteId}: ${at} on ${name(at === "promote" ? d.toNodeId : d.fromNodeId)} failed: ${error}`, { siteId: d.siteId });
    await round.step(d.siteId, at, "FAILED", error);
    return { ...d, ok: false, snapshot: null, error, ms: Math.round(performance.now() - t0) };
  }
}

/** start: each new primary converges its sites (vhost, pool, database users) while still held. */
async function startPrimaries(round: Round, ok: FailoverOutcome[]): Promise<void> {
  const { ctx } = round;
  await Promise.all(ok.map((o) => round.step(o.siteId, "start", "RUNNING")));
  const targets = [...new Set(ok.map((o) => o.toNodeId!))];
  const startErrors = new Map<string, string>();
  await Promise.all(
    targets.map((nodeId) =>
      ctx.withLeases([nodeId], () => reconcileNode(ctx, nodeId, false)).catch((e: unknown) => {
        startErrors.set(nodeId, e instanceof Error ? e.message : String(e));
      }),
    ),
  );
  await Promise.all(ok.map((o) => round.step(o.siteId, "start", startErrors.has(o.toNodeId!) ? "FAILED" : "SUCCEEDED", startErrors.get(o.toNodeId!) ?? null)));
}

/**
 * release: every site goes on, to its new primary (or, if its promote failed, back to the dead
 * one: its GETs wait at the edges for it to take connections or for the next tick's failover,
 * bounded by the hold's timeout, and anything else gets 502 at once instead of waiting out the
 * hold). Each operation ends with its outcome.
 */
async function release(round: Round, movable: FailoverDecision[], outcomes: FailoverOutcome[]): Promise<void> {
  const { ctx } = round;
  const { db } = ctx;
  await Promise.all(movable.map((d) => round.step(d.siteId, "release", "RUNNING")));
  await setSitesPaused(db, movable.map((d) => d.siteId), false);
  const released = await publishRoutes(ctx, { onFailure: "skip" });
  if (released.failed.length) ctx.log?.(`failover: release not applied on ${released.failed.map((f) => `${f.nodeName} (${f.error})`).join(", ")}`);
  const now = new Date();
  for (const o of outcomes) {
    await round.step(o.siteId, "release", "SUCCEEDED");
    const op = round.operationOf(o.siteId);
    if (op) countSettled(await db.operation.update({ where: { id: op }, data: { status: o.ok ? "SUCCEEDED" : "FAILED", finishedAt: now, lastError: o.error }, select: { kind: true } }), o.ok ? "succeeded" : "failed");
    failoversTotal.inc({ outcome: o.ok ? "succeeded" : "failed" });
  }
}

/**
 * Makes the replica's newest snapshot live (files, then the databases from its dumps). The
 * newest that the control plane recorded is tried first, then older ones: a row can outlive its
 * snapshot if the node pruned it and the worker died before deleting the row.
 */
async function promoteOnReplica(ctx: FailoverContext, d: FailoverDecision, target: { name: string; address: string; agentPort: number }): Promise<string> {
  const { db } = ctx;
  const [rows, databases] = await Promise.all([
    db.snapshot.findMany({ where: { siteId: d.siteId, nodeId: d.toNodeId }, orderBy: { takenAt: "desc" }, take: 3, select: { name: true } }),
    db.database.findMany({ where: { siteId: d.siteId, deletedAt: null }, orderBy: { name: "asc" }, select: { name: true } }),
  ]);
  if (rows.length === 0) throw new Error(`${target.name} holds no snapshot of the site.`);
  const agent = agentClient(target, { clusterSecret: ctx.clusterSecret });
  let last: unknown;
  for (const row of rows) {
    try {
      const result = await agent.promote(d.siteId, row.name, databases.map((x) => x.name));
      ctx.log?.(`failover ${d.siteId}: promoted ${row.name} on ${target.name} (${JSON.stringify(result.timingsMs)})`, { siteId: d.siteId });
      return row.name;
    } catch (e) {
      last = e;
      if (!(e instanceof Error && /\b404\b/.test(e.message))) throw e;
    }
  }
  throw last;
}

/** The switch, in one transaction, only if the dead node is still the site's primary. */
async function fence(db: Db, d: FailoverDecision, base: string, name: (id: string | null) => string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    await lockClusterState(tx);
    const primary = await tx.placement.findFirst({ where: { siteId: d.siteId, role: "PRIMARY" }, select: { id: true, nodeId: true, epoch: true } });
    if (!primary || primary.nodeId !== d.fromNodeId) return false;
    await tx.placement.update({
      where: { id: primary.id },
      data: { role: "REPLICA", reason: `${fencedReasonPrefix} ${primary.epoch}: ${name(d.fromNodeId)} died; failed over to ${name(d.toNodeId)} from snapshot ${base}` },
    });
    await tx.placement.updateMany({ where: { siteId: d.siteId, nodeId: d.toNodeId! }, data: { role: "PRIMARY", epoch: d.epoch, reason: `failover from ${name(d.fromNodeId)}` } });
    await tx.database.updateMany({ where: { siteId: d.siteId, deletedAt: null }, data: { nodeId: d.toNodeId! } });
    const version = await bumpRoutesVersion(tx);
    await tx.site.update({ where: { id: d.siteId }, data: { routeVersion: version, generation: { increment: 1 } } });
    return true;
  });
}
