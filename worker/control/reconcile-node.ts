import { createHmac } from "node:crypto";
import type { Db } from "../../server/db";
import type { FailedStepResult, StepResult as AgentStepResult } from "../../server/contract/node-apply";
import { AgentRejectedError, AgentUnreachableError, agentClient, type AgentClient } from "./agent-client";
import { buildNodeSpec, type BuiltNodeSpec } from "./build-node-spec";
import { holdNonConvergent, holdsFor } from "./converge-holds";
import { failPermanently, markApplying, recordWaiting, settleOperations, type EdgeProbe } from "./operation-progress";
import { readRouteTable } from "./read-route-table";
import { reconcileSeconds } from "./control-metrics";
import type { Log } from "../../server/observability/logger";

// Reconcile one node, level-triggered: read its desired state fresh, let the agent
// observe and diff (PUT /v1/spec converges only what is missing), push the edges' route table,
// record observedGeneration for exactly the rows that were sent and converged, then settle the
// operations that the new observed state completes. Safe to run twice; the caller guarantees one
// run per node at a time (node-lock.ts).

export type ReconcileContext = { db: Db; clusterSecret: string; probe?: EdgeProbe; log?: Log };

/** Retry later (BullMQ backoff): the node is away or a step failed; the reason is on the operation. */
export class ReconcileRetry extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReconcileRetry";
  }
}

const specHash = (secret: string, spec: unknown) => createHmac("sha256", secret).update(JSON.stringify(spec)).digest("hex");

/** Which spec objects an agent issue path ("sites.3.domains.0") points at. */
function objectsOfIssue(built: BuiltNodeSpec, path: string): string[] {
  // /v1/apply prefixes the spec's issues with "spec.".
  const [collection, index] = path.replace(/^spec\./, "").split(".");
  const i = Number(index);
  if (collection === "sites") return built.spec.sites[i] ? [String(built.spec.sites[i].id)] : [];
  if (collection === "databases") return built.spec.databases[i] ? [built.spec.databases[i].id] : [];
  if (collection === "accounts") return built.spec.accounts[i] ? [built.spec.accounts[i].id] : [];
  if (collection === "replicas") return built.spec.replicas?.[i] ? [built.spec.replicas[i].siteId] : [];
  return [];
}

/** The objects of this spec a failed step is about, as the agent names them; none named: all of them. */
function objectsOfStep(built: BuiltNodeSpec, result: FailedStepResult): string[] | "all" {
  const sent = new Set(allIds(built));
  const hits = (result.objects ?? []).map((o) => o.id).filter((id) => sent.has(id));
  return hits.length > 0 ? hits : "all";
}

function allIds(built: BuiltNodeSpec): string[] {
  return [...built.objects.sites, ...built.objects.databases, ...built.objects.accounts].map((o) => o.id);
}

type NodeRow = { id: string; name: string; address: string; agentPort: number; status: string; appliedSpecHash: string | null; appliedRoutesVersion: bigint };
type RouteTable = Awaited<ReturnType<typeof readRouteTable>>;

/** What the node should hold, read fresh: its spec, and what is being torn down on it. */
type NodeRead = {
  node: NodeRow;
  agent: AgentClient;
  built: BuiltNodeSpec;
  hash: string;
  excluded: Set<string>;
  leavingSites: { id: string; siteId: string }[];
  leavingDatabases: { id: string; generation: number }[];
  /** Every object this run may converge or tear down (their operations say "applying"). */
  touched: string[];
  /** Nothing to send: the agent last accepted this very spec and nothing is leaving. */
  unchanged: boolean;
};

/** What the agent answered to the spec that it took. */
type Applied = { built: BuiltNodeSpec; hash: string; results: AgentStepResult[]; changes: number; routesSent: boolean };

export type ReconcileResult = { changes: number; skipped: boolean; phases: Record<string, number> };

/** One reconcile of a node, timed into shoal_reconcile_duration_seconds by how it ended. */
export async function reconcileNode(ctx: ReconcileContext, nodeId: string, force: boolean): Promise<ReconcileResult> {
  const end = reconcileSeconds.startTimer();
  try {
    const result = await reconcileOnce(ctx, nodeId, force);
    end({ outcome: result.skipped ? "skipped" : "applied" });
    return result;
  } catch (e) {
    end({ outcome: e instanceof ReconcileRetry ? "retry" : "failed" });
    throw e;
  }
}

async function reconcileOnce(ctx: ReconcileContext, nodeId: string, force: boolean): Promise<ReconcileResult> {
  const { db } = ctx;
  const timer = phaseTimer();
  const read = await readNode(ctx, nodeId, force);
  // A DEAD node is converged again only when it rejoins (heartbeat.ts): first its divergent data
  // is kept (rejoin.ts), and a converge now would drop the databases that moved away from it.
  if (!read) return { changes: 0, skipped: true, phases: timer.phases };
  timer.phase("read");
  const table = await readRouteTable(db);
  let routesDue = force || read.node.appliedRoutesVersion < table.version;
  let changes = 0;
  let skipped = read.unchanged;
  if (!read.unchanged) {
    await markApplying(db, read.touched, read.node.name);
    timer.phase("mark");
    const applied = await applySpec(ctx, read, routesDue ? table : null);
    timer.phase("converge");
    if (applied.routesSent) routesDue = false;
    changes = applied.changes;
    await recordApplied(ctx, read, applied);
  }
  timer.phase("record");
  if (routesDue) {
    await pushRoutes(ctx, read, table);
    skipped = false;
  }
  timer.phase("routes");
  await settleOperations(db, ctx.probe);
  timer.phase("settle");
  return { changes, skipped, phases: timer.phases };
}

/** Where a reconcile spends its time, for the worker's log. */
function phaseTimer() {
  const phases: Record<string, number> = {};
  let mark = performance.now();
  return {
    phases,
    phase(name: string) {
      const now = performance.now();
      phases[name] = Math.round((phases[name] ?? 0) + now - mark);
      mark = now;
    },
  };
}

/** read: the node, its spec and what is leaving it; null for a node that is gone or DEAD. */
async function readNode(ctx: ReconcileContext, nodeId: string, force: boolean): Promise<NodeRead | null> {
  const { db, clusterSecret } = ctx;
  const node = await db.node.findUnique({
    where: { id: nodeId },
    select: { id: true, name: true, address: true, agentPort: true, status: true, appliedSpecHash: true, appliedRoutesVersion: true },
  });
  if (!node || node.status === "DEAD") return null;
  // Objects being torn down here: soft-deleted sites still placed on this node, deleted databases.
  const [leavingSites, leavingDatabases] = await Promise.all([
    db.placement.findMany({ where: { nodeId, site: { OR: [{ deletedAt: { not: null } }, { status: "TERMINATED" }, { account: { deletedAt: { not: null } } }, { domain: { deletedAt: { not: null } } }] } }, select: { id: true, siteId: true } }),
    db.database.findMany({ where: { nodeId, deletedAt: { not: null }, observedGeneration: { lt: db.database.fields.generation } }, select: { id: true, generation: true } }),
  ]);
  const excluded = new Set<string>();
  const built = await buildNodeSpec(db, nodeId, clusterSecret, excluded);
  const hash = specHash(clusterSecret, built.spec);
  const touched = [...allIds(built), ...leavingSites.map((p) => p.siteId), ...leavingDatabases.map((d) => d.id)];
  const unchanged = !force && hash === node.appliedSpecHash && leavingSites.length === 0 && leavingDatabases.length === 0;
  return { node, agent: agentClient(node, { clusterSecret }), built, hash, excluded, leavingSites, leavingDatabases, touched, unchanged };
}

/**
 * apply: the spec to the agent (with the route table when it is due: one call, one nginx reload
 * for both). An invalid object is left out and its operation fails with the agent's words; the
 * rest of the node still converges. Bounded: each round removes at least one object.
 */
async function applySpec(ctx: ReconcileContext, read: NodeRead, table: RouteTable | null): Promise<Applied> {
  const { db } = ctx;
  const { node, agent } = read;
  let { built, hash } = read;
  for (let round = 0; round < 20; round++) {
    try {
      if (table) {
        const answer = await agent.putApply(built.spec, { routes: table.routes });
        if (answer.routes.stale.length) ctx.log?.(`node ${node.name} kept newer routes for ${answer.routes.stale.map((s) => s.siteId).join(", ")}`, { nodeId: node.id });
        await db.node.updateMany({ where: { id: node.id, appliedRoutesVersion: { lt: table.version } }, data: { appliedRoutesVersion: table.version } });
        return { built, hash, results: answer.spec.results, changes: answer.spec.changes, routesSent: true };
      }
      const answer = await agent.putSpec(built.spec);
      return { built, hash, results: answer.results, changes: answer.changes, routesSent: false };
    } catch (e) {
      if (e instanceof AgentUnreachableError) {
        await db.node.update({ where: { id: node.id }, data: { lastError: e.message } });
        await recordWaiting(db, read.touched, e.message);
        throw new ReconcileRetry(e.message);
      }
      if (!(e instanceof AgentRejectedError && e.status === 422 && e.issues.length > 0)) {
        await db.node.update({ where: { id: node.id }, data: { lastError: e instanceof Error ? e.message : String(e) } });
        throw e;
      }
      await excludeRefused(db, built, e, read.excluded);
      built = await buildNodeSpec(db, node.id, ctx.clusterSecret, read.excluded);
      hash = specHash(ctx.clusterSecret, built.spec);
    }
  }
  throw new Error(`Node ${node.name}: the spec kept being refused.`);
}

/** The objects the agent's 422 names fail for good and leave the spec (`excluded` grows). */
async function excludeRefused(db: Db, built: BuiltNodeSpec, e: AgentRejectedError, excluded: Set<string>): Promise<void> {
  const bad = new Set(e.issues.flatMap((issue) => objectsOfIssue(built, issue.path)));
  if (bad.size === 0) throw e;
  const describe = (id: string) =>
    e.issues.filter((issue) => objectsOfIssue(built, issue.path).includes(id)).map((i) => `${i.path}: ${i.message}`).join("; ");
  const reasons = new Map([...bad].map((id) => [id, `The node refused this: ${describe(id)}`]));
  // An account left out takes its sites and databases with it: their operations must say
  // why instead of waiting for ever.
  for (const account of built.spec.accounts.filter((a) => bad.has(a.id))) {
    const why = `The node refused its hosting account ${account.username}: ${describe(account.id)}`;
    for (const s of built.spec.sites) if (s.accountId === account.id) reasons.set(String(s.id), why);
    for (const d of built.spec.databases) if (d.accountId === account.id) reasons.set(d.id, why);
  }
  for (const [id, reason] of reasons) {
    await failPermanently(db, id, reason);
    excluded.add(id);
  }
}

/**
 * record: observedGeneration for exactly the objects that were sent and converged; with no step
 * failed, what was torn down is forgotten and the spec's hash kept, else the job is retried.
 */
async function recordApplied(ctx: ReconcileContext, read: NodeRead, applied: Applied): Promise<void> {
  const { db } = ctx;
  const { node } = read;
  const { built, results } = applied;
  const failed = results.filter((r): r is Extract<AgentStepResult, { ok: false }> => !r.ok);
  // What does not converge is held from now on (the retry below sends it as held, and the node
  // stops touching it); applying it again would only find the same steps, and reload, again.
  const holds = holdsFor(built, failed);
  if (holds.length) {
    const held = await holdNonConvergent(db, node.id, built, holds);
    ctx.log?.(`node ${node.name}: holding ${held.join(", ")}: ${holds.map((h) => h.reason).join("; ")}`, { nodeId: node.id });
  }
  const notConverged = new Set<string>();
  for (const f of failed) {
    const ids = objectsOfStep(built, f);
    for (const id of ids === "all" ? allIds(built) : ids) notConverged.add(id);
  }
  await recordObserved(db, built, notConverged);
  if (failed.length > 0) {
    const message = `Node ${node.name}: ${failed.map((f) => `${f.step}: ${f.error}`).join("; ")}`.slice(0, 2000);
    await db.node.update({ where: { id: node.id }, data: { lastError: message, appliedSpecHash: null } });
    await recordWaiting(db, [...notConverged], message);
    throw new ReconcileRetry(message);
  }
  await forgetTornDown(db, read);
  // Holds the spec no longer applies (the object changed, or left this node) are done with.
  await db.convergeHold.deleteMany({ where: { nodeId: node.id, objectId: { notIn: built.spec.held ?? [] } } });
  await db.node.update({ where: { id: node.id }, data: { appliedSpecHash: applied.hash, lastAppliedAt: new Date(), lastError: null } });
}

/**
 * observedGeneration only moves forward and only to the generation that was sent. The statements
 * are independent, so they go out together.
 */
async function recordObserved(db: Db, built: BuiltNodeSpec, notConverged: ReadonlySet<string>): Promise<void> {
  const converged = <T extends { id: string }>(rows: T[]) => rows.filter((r) => !notConverged.has(r.id));
  await Promise.all([
    ...converged(built.objects.sites).map((s) => db.site.updateMany({ where: { id: s.id, observedGeneration: { lt: s.generation } }, data: { observedGeneration: s.generation } })),
    ...converged(built.objects.databases).map((d) => db.database.updateMany({ where: { id: d.id, observedGeneration: { lt: d.generation } }, data: { observedGeneration: d.generation } })),
    ...converged(built.objects.accounts).map((a) => db.hostingAccount.updateMany({ where: { id: a.id, observedGeneration: { lt: a.generation } }, data: { observedGeneration: a.generation } })),
  ]);
}

/** The agent removed what the spec no longer holds: those placements and databases are done. */
async function forgetTornDown(db: Db, read: NodeRead): Promise<void> {
  const { leavingSites, leavingDatabases } = read;
  if (leavingSites.length) {
    await db.placement.deleteMany({ where: { id: { in: leavingSites.map((p) => p.id) } } });
    // Torn down is this node's observed state of a deleted site: the sweep stops looking at it
    // once no node holds it any more.
    const gone = leavingSites.map((p) => p.siteId);
    await db.$executeRaw`UPDATE "Site" s SET "observedGeneration" = s."generation" WHERE s."id" = ANY(${gone}) AND NOT EXISTS (SELECT 1 FROM "Placement" p WHERE p."siteId" = s."id")`;
  }
  for (const d of leavingDatabases) await db.database.updateMany({ where: { id: d.id }, data: { observedGeneration: d.generation } });
}

/** The route table alone, when it is due and did not go with a spec. */
async function pushRoutes(ctx: ReconcileContext, read: NodeRead, table: RouteTable): Promise<void> {
  const { db } = ctx;
  const { node } = read;
  try {
    const answer = await read.agent.putRoutes({ routes: table.routes });
    if (answer.stale.length) ctx.log?.(`node ${node.name} kept newer routes for ${answer.stale.map((s) => s.siteId).join(", ")}`, { nodeId: node.id });
  } catch (e) {
    if (e instanceof AgentUnreachableError) {
      await db.node.update({ where: { id: node.id }, data: { lastError: e.message } });
      throw new ReconcileRetry(e.message);
    }
    throw e;
  }
  await db.node.updateMany({ where: { id: node.id, appliedRoutesVersion: { lt: table.version } }, data: { appliedRoutesVersion: table.version } });
}
