import { createHmac } from "node:crypto";
import type { Db } from "../../server/db";
import { AgentRejectedError, AgentUnreachableError, agentClient, type AgentStepResult } from "./agent-client";
import { buildNodeSpec, type BuiltNodeSpec } from "./build-node-spec";
import { failPermanently, markApplying, recordWaiting, settleOperations, type EdgeProbe } from "./operation-progress";
import { readRouteTable } from "./read-route-table";
import { reconcileSeconds } from "./control-metrics";
import type { Log } from "../../server/observability/logger";

// Reconcile one node, level-triggered (STYLE 9): read its desired state fresh, let the agent
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

/** The objects a failed step is about; its description names a site id, a username or a database. */
function objectsOfStep(built: BuiltNodeSpec, result: AgentStepResult): string[] | "all" {
  const words = new Set(result.step.split(/[\s()/@]+/));
  const hits = [
    ...built.spec.sites.filter((s) => words.has(String(s.id))).map((s) => String(s.id)),
    ...built.spec.databases.filter((d) => words.has(d.name) || d.users.some((u) => words.has(u.username))).map((d) => d.id),
    ...built.spec.accounts.filter((a) => words.has(a.username)).map((a) => a.id),
  ];
  return hits.length > 0 ? hits : "all";
}

function allIds(built: BuiltNodeSpec): string[] {
  return [...built.objects.sites, ...built.objects.databases, ...built.objects.accounts].map((o) => o.id);
}

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
  const { db, clusterSecret } = ctx;
  // Where a reconcile spends its time, for the worker's log and the apply-latency bench.
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round((phases[name] ?? 0) + now - mark);
    mark = now;
  };
  const node = await db.node.findUnique({
    where: { id: nodeId },
    select: { id: true, name: true, address: true, agentPort: true, status: true, appliedSpecHash: true, appliedRoutesVersion: true },
  });
  // A DEAD node is converged again only when it rejoins (heartbeat.ts): first its divergent data
  // is kept (rejoin.ts), and a converge now would drop the databases that moved away from it.
  if (!node || node.status === "DEAD") return { changes: 0, skipped: true, phases };
  const agent = agentClient(node, { clusterSecret });

  // Objects being torn down here: soft-deleted sites still placed on this node, deleted databases.
  const [leavingSites, leavingDatabases] = await Promise.all([
    db.placement.findMany({ where: { nodeId, site: { OR: [{ deletedAt: { not: null } }, { status: "TERMINATED" }, { account: { deletedAt: { not: null } } }, { domain: { deletedAt: { not: null } } }] } }, select: { id: true, siteId: true } }),
    db.database.findMany({ where: { nodeId, deletedAt: { not: null }, observedGeneration: { lt: db.database.fields.generation } }, select: { id: true, generation: true } }),
  ]);

  const excluded = new Set<string>();
  let built = await buildNodeSpec(db, nodeId, clusterSecret, excluded);
  let hash = specHash(clusterSecret, built.spec);
  const touched = [...allIds(built), ...leavingSites.map((p) => p.siteId), ...leavingDatabases.map((d) => d.id)];
  let changes = 0;
  let skipped = !force && hash === node.appliedSpecHash && leavingSites.length === 0 && leavingDatabases.length === 0;
  phase("read");

  const table = await readRouteTable(db);
  let routesDue = force || node.appliedRoutesVersion < table.version;
  if (!skipped) {
    await markApplying(db, touched, node.name);
    phase("mark");
    let results: AgentStepResult[] | null = null;
    // An invalid object is left out and its operation fails with the agent's words; the rest of
    // the node still converges. Bounded: each round removes at least one object.
    for (let round = 0; round < 20 && results === null; round++) {
      try {
        if (routesDue) {
          // One call, one nginx reload for both (the common case: a new site on its live node).
          const answer = await agent.putApply(built.spec, { routes: table.routes });
          results = answer.spec.results;
          changes = answer.spec.changes;
          if (answer.routes.stale.length) ctx.log?.(`node ${node.name} kept newer routes for ${answer.routes.stale.map((s) => s.siteId).join(", ")}`, { nodeId });
          await db.node.updateMany({ where: { id: nodeId, appliedRoutesVersion: { lt: table.version } }, data: { appliedRoutesVersion: table.version } });
          routesDue = false;
        } else {
          const answer = await agent.putSpec(built.spec);
          results = answer.results;
          changes = answer.changes;
        }
      } catch (e) {
        if (e instanceof AgentUnreachableError) {
          await db.node.update({ where: { id: nodeId }, data: { lastError: e.message } });
          await recordWaiting(db, touched, e.message);
          throw new ReconcileRetry(e.message);
        }
        if (e instanceof AgentRejectedError && e.status === 422 && e.issues.length > 0) {
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
          built = await buildNodeSpec(db, nodeId, clusterSecret, excluded);
          hash = specHash(clusterSecret, built.spec);
          continue;
        }
        await db.node.update({ where: { id: nodeId }, data: { lastError: e instanceof Error ? e.message : String(e) } });
        throw e;
      }
    }
    if (results === null) throw new Error(`Node ${node.name}: the spec kept being refused.`);
    phase("converge");

    const failed = results.filter((r): r is Extract<AgentStepResult, { ok: false }> => !r.ok);
    const notConverged = new Set<string>();
    for (const f of failed) {
      const ids = objectsOfStep(built, f);
      for (const id of ids === "all" ? allIds(built) : ids) notConverged.add(id);
    }
    const converged = <T extends { id: string }>(rows: T[]) => rows.filter((r) => !notConverged.has(r.id));
    // observedGeneration only moves forward and only to the generation that was sent. The
    // statements are independent, so they go out together.
    const at = new Date().toISOString();
    await Promise.all([
      ...converged(built.objects.sites).map((s) =>
        db.site.updateMany({ where: { id: s.id, observedGeneration: { lt: s.generation } }, data: { observedGeneration: s.generation, conditions: [{ type: "Ready", status: "True", node: node.name, at }] } }),
      ),
      ...converged(built.objects.databases).map((d) => db.database.updateMany({ where: { id: d.id, observedGeneration: { lt: d.generation } }, data: { observedGeneration: d.generation } })),
      ...converged(built.objects.accounts).map((a) => db.hostingAccount.updateMany({ where: { id: a.id, observedGeneration: { lt: a.generation } }, data: { observedGeneration: a.generation } })),
    ]);
    if (failed.length === 0) {
      // The agent removed what the spec no longer holds: those placements and databases are done.
      if (leavingSites.length) {
        await db.placement.deleteMany({ where: { id: { in: leavingSites.map((p) => p.id) } } });
        // Torn down is this node's observed state of a deleted site: the sweep stops looking at it
        // once no node holds it any more.
        const gone = leavingSites.map((p) => p.siteId);
        await db.$executeRaw`UPDATE "Site" s SET "observedGeneration" = s."generation" WHERE s."id" = ANY(${gone}) AND NOT EXISTS (SELECT 1 FROM "Placement" p WHERE p."siteId" = s."id")`;
      }
      for (const d of leavingDatabases) await db.database.updateMany({ where: { id: d.id }, data: { observedGeneration: d.generation } });
      await db.node.update({ where: { id: nodeId }, data: { appliedSpecHash: hash, lastAppliedAt: new Date(), lastError: null } });
    } else {
      const message = `Node ${node.name}: ${failed.map((f) => `${f.step}: ${f.error}`).join("; ")}`.slice(0, 2000);
      await db.node.update({ where: { id: nodeId }, data: { lastError: message, appliedSpecHash: null } });
      await recordWaiting(db, [...notConverged], message);
      throw new ReconcileRetry(message);
    }
  }

  phase("record");
  if (routesDue) {
    try {
      const answer = await agent.putRoutes({ routes: table.routes });
      if (answer.stale.length) ctx.log?.(`node ${node.name} kept newer routes for ${answer.stale.map((s) => s.siteId).join(", ")}`, { nodeId });
    } catch (e) {
      if (e instanceof AgentUnreachableError) {
        await db.node.update({ where: { id: nodeId }, data: { lastError: e.message } });
        throw new ReconcileRetry(e.message);
      }
      throw e;
    }
    await db.node.updateMany({ where: { id: nodeId, appliedRoutesVersion: { lt: table.version } }, data: { appliedRoutesVersion: table.version } });
    skipped = false;
  }
  phase("routes");
  await settleOperations(db, ctx.probe);
  phase("settle");
  return { changes, skipped, phases };
}
