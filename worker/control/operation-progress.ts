import http from "node:http";
import type { Db } from "../../server/db";
import { ownJobOperationKinds } from "../../server/domain/operation-retry";
import { nodeStepKinds, stepKind, type StepKind } from "../../server/domain/operation-kinds";
import { countSettled } from "./control-metrics";
import { settleDomainOperations } from "./settle-domain-operations";

// Operations are the panel's view of work in flight: the reconcile records here what
// it is doing to each object, and `settleOperations` decides from Postgres alone (observed
// generations, placements, each edge's applied route version) which steps are done. Nothing here
// replays work: an operation finishes when the state it asked for is observed.
//
// Errors are kept twice: `lastError`, the detail (commands, node names, exit codes) for admins
// and logs, and `customerError`, words for the customer where a caller has some. Left null, the
// panel words it from the step's kind (server/domain/operation-errors.ts); both are cleared together.
const openStatuses = ["PENDING", "RUNNING"] as const;
/**
 * The operations a reconcile runs. A move, a rollback or a failover is its own job's to mark: a
 * reconcile of the same site must not settle its "route" or "serve check", say its waits on it or
 * fail it (a move's route showed done before its pause).
 */
const byReconcile = { kind: { notIn: [...ownJobOperationKinds] } };

type OpenOp = { id: string; kind: string; targetType: string; targetId: string };

async function openOps(db: Db, targetIds: readonly string[]): Promise<OpenOp[]> {
  if (targetIds.length === 0) return [];
  return db.operation.findMany({
    where: { targetId: { in: [...targetIds] }, status: { in: [...openStatuses] }, ...byReconcile },
    select: { id: true, kind: true, targetType: true, targetId: true },
  });
}

type StepUpdate = { status: "RUNNING" | "SUCCEEDED" | "FAILED"; lastError?: string | null; customerError?: string | null };

/** The error columns for `detail`, with the customer's words when the caller has them. */
const errorColumns = (detail: string | null, customer: string | null = null) => ({ lastError: detail, customerError: detail === null ? null : customer });

/** Sets the matching unfinished steps of many operations at once (a few statements in all). */
async function setSteps(db: Db, operationIds: readonly string[], kinds: readonly StepKind[], data: StepUpdate, now: Date) {
  if (operationIds.length === 0) return;
  const where = { operationId: { in: [...operationIds] }, kind: { in: [...kinds] } };
  if (data.status === "RUNNING") {
    await db.operationStep.updateMany({ where: { ...where, status: "PENDING" }, data: { status: "RUNNING", startedAt: now } });
    await db.operationStep.updateMany({ where: { ...where, status: "FAILED" }, data: { status: "RUNNING" } });
    return;
  }
  await db.operationStep.updateMany({ where: { ...where, status: { in: ["PENDING", "RUNNING"] }, startedAt: null }, data: { startedAt: now } });
  await db.operationStep.updateMany({
    where: { ...where, status: { in: ["PENDING", "RUNNING", "FAILED"] } },
    data: { status: data.status, finishedAt: now, ...(data.lastError !== undefined ? errorColumns(data.lastError, data.customerError) : {}) },
  });
}

/**
 * One named step of a one-off operation (a move, a rollback): RUNNING counts an attempt, the
 * others finish it; `lastError` is left as it is when undefined (the customer reads words from the
 * step's kind).
 */
export async function markStep(db: Db, operationId: string, kind: StepKind, status: "RUNNING" | "SUCCEEDED" | "FAILED", lastError?: string | null, at?: Date): Promise<void> {
  // `at`: when it happened, for a caller that records its steps a moment later (a move's held window).
  const now = at ?? new Date();
  await db.operationStep.updateMany({ where: { operationId, kind, startedAt: null }, data: { startedAt: now } });
  await db.operationStep.updateMany({
    where: { operationId, kind },
    data: { status, ...(status === "RUNNING" ? { attempts: { increment: 1 } } : { finishedAt: now }), ...(lastError !== undefined ? errorColumns(lastError) : {}) },
  });
}

/**
 * A one-off operation ends FAILED at step `kind`, with `message` on both; `customer`: the same for
 * the customer, when `message` is not already in their words.
 */
export async function failAtStep(db: Db, operationId: string, kind: StepKind, message: string, customer: string | null = null): Promise<void> {
  await db.operationStep.updateMany({ where: { operationId, kind, startedAt: null }, data: { startedAt: new Date() } });
  await db.operationStep.updateMany({ where: { operationId, kind }, data: { status: "FAILED", finishedAt: new Date(), ...errorColumns(message, customer) } });
  countSettled(await db.operation.update({ where: { id: operationId }, data: { status: "FAILED", ...errorColumns(message, customer), finishedAt: new Date() }, select: { kind: true } }), "failed");
}

/** The reconcile of `nodeName` starts applying these objects: their node-side steps run. */
export async function markApplying(db: Db, targetIds: readonly string[], nodeName: string): Promise<void> {
  const now = new Date();
  const ids = (await openOps(db, targetIds)).map((o) => o.id);
  if (ids.length === 0) return;
  await db.operation.updateMany({ where: { id: { in: ids }, status: "PENDING" }, data: { status: "RUNNING", startedAt: now } });
  await db.operationStep.updateMany({ where: { operationId: { in: ids }, kind: stepKind.placement, startedAt: null }, data: { startedAt: now } });
  await db.operationStep.updateMany({ where: { operationId: { in: ids }, kind: stepKind.placement, status: { in: ["PENDING", "RUNNING"] } }, data: { status: "SUCCEEDED", finishedAt: now, target: nodeName } });
  await setSteps(db, ids, [...nodeStepKinds], { status: "RUNNING" }, now);
  await db.operationStep.updateMany({ where: { operationId: { in: ids }, kind: { in: [...nodeStepKinds] }, status: "RUNNING" }, data: { attempts: { increment: 1 } } });
}

/**
 * Something is in the way but may clear by itself (node away, a step failed): shown, retried.
 * `message` is the detail (it names the node and what failed there); customers read that we retry.
 */
export async function recordWaiting(db: Db, targetIds: readonly string[], message: string): Promise<void> {
  const ops = await openOps(db, targetIds);
  if (ops.length === 0) return;
  const ids = ops.map((o) => o.id);
  await db.operation.updateMany({ where: { id: { in: ids } }, data: errorColumns(message.slice(0, 2000)) });
  await db.operationStep.updateMany({ where: { operationId: { in: ids }, status: "RUNNING" }, data: errorColumns(message.slice(0, 2000)) });
}

/** A placement could not be made: the first step says why until a node can take the site. */
export async function recordUnplaced(db: Db, targetId: string, message: string): Promise<void> {
  const ids = (await openOps(db, [targetId])).map((o) => o.id);
  if (ids.length === 0) return;
  await db.operation.updateMany({ where: { id: { in: ids } }, data: errorColumns(message) });
  await db.operationStep.updateMany({ where: { operationId: { in: ids }, kind: stepKind.placement }, data: { ...errorColumns(message), attempts: { increment: 1 } } });
}

/**
 * The node said no and retrying cannot help (an invalid spec): stop with the reason, `message`
 * for admins and `customer` (when there are words for them) for the customer.
 */
export async function failPermanently(db: Db, targetId: string, message: string, customer: string | null = null): Promise<void> {
  const now = new Date();
  const ids = (await openOps(db, [targetId])).map((o) => o.id);
  if (ids.length === 0) return;
  await setSteps(db, ids, [...nodeStepKinds], { status: "FAILED", lastError: message, customerError: customer }, now);
  countSettled(await db.operation.updateManyAndReturn({ where: { id: { in: ids }, status: { in: [...openStatuses] } }, data: { status: "FAILED", ...errorColumns(message, customer), finishedAt: now }, select: { kind: true } }), "failed");
}

export type EdgeProbe = (edge: { address: string; httpPort: number }, host: string) => Promise<number>;

/** GET / through one node's front door with the site's Host header; resolves the status code. */
export const probeEdge: EdgeProbe = (edge, host) =>
  new Promise((resolve) => {
    const req = http.get({ host: edge.address, port: edge.httpPort, path: "/", headers: { host, "user-agent": "shoal-serve-check" }, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });

/** A suspended site answers 503 with its "suspended" page on purpose; anything else must be < 400. */
const served = (status: number, suspended: boolean) => (suspended ? status === 503 : status >= 200 && status < 400);

/**
 * Finishes whatever the observed state now shows as done. Called after every reconcile and by the
 * sweep; cheap when nothing is open.
 */
export async function settleOperations(db: Db, probe: EdgeProbe = probeEdge): Promise<number> {
  // Domains' operations finish on the nodes' DNS answers (settle-domain-operations.ts).
  const domainsSettled = await settleDomainOperations(db);
  return domainsSettled + (await settleObjectOperations(db, probe));
}

async function settleObjectOperations(db: Db, probe: EdgeProbe): Promise<number> {
  const ops = await db.operation.findMany({
    where: { status: { in: [...openStatuses] }, targetType: { in: ["Site", "Database"] }, ...byReconcile },
    orderBy: { createdAt: "asc" },
    take: 500,
    select: { id: true, targetType: true, targetId: true, steps: { where: { kind: stepKind.serveCheck }, select: { id: true } } },
  });
  if (ops.length === 0) return 0;
  const edges = await db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { address: true, httpPort: true, appliedRoutesVersion: true } });
  const minRoutes = edges.reduce((m, e) => (e.appliedRoutesVersion < m ? e.appliedRoutesVersion : m), edges[0]?.appliedRoutesVersion ?? 0n);
  const siteIds = ops.filter((o) => o.targetType === "Site").map((o) => o.targetId);
  const databaseIds = ops.filter((o) => o.targetType === "Database").map((o) => o.targetId);
  const [sites, databases] = await Promise.all([
    db.site.findMany({
      where: { id: { in: siteIds } },
      select: { id: true, generation: true, observedGeneration: true, deletedAt: true, status: true, routeVersion: true, domain: { select: { name: true } }, account: { select: { status: true, customer: { select: { status: true } } } }, _count: { select: { placements: true } } },
    }),
    db.database.findMany({ where: { id: { in: databaseIds } }, select: { id: true, generation: true, observedGeneration: true } }),
  ]);
  const siteOf = new Map(sites.map((s) => [s.id, s]));
  const databaseOf = new Map(databases.map((d) => [d.id, d]));

  const nodeDone: string[] = [];
  const routeDone: string[] = [];
  const checks: { id: string; host: string; suspended: boolean }[] = [];
  for (const op of ops) {
    if (op.targetType === "Site") {
      const site = siteOf.get(op.targetId);
      if (!site) continue;
      const gone = site.deletedAt !== null || site.status === "TERMINATED";
      if (!(gone ? site._count.placements === 0 : site.observedGeneration >= site.generation)) continue;
      nodeDone.push(op.id);
      if (!(edges.length > 0 && minRoutes >= site.routeVersion)) continue;
      routeDone.push(op.id);
      if (!gone && op.steps.length > 0) {
        checks.push({ id: op.id, host: site.domain.name, suspended: site.status !== "ACTIVE" || site.account.status !== "ACTIVE" || site.account.customer.status !== "ACTIVE" });
      }
    } else {
      const database = databaseOf.get(op.targetId);
      if (database && database.observedGeneration >= database.generation) nodeDone.push(op.id);
    }
  }
  const now = new Date();
  await setSteps(db, nodeDone, [...nodeStepKinds, stepKind.placement], { status: "SUCCEEDED", lastError: null }, now);
  await setSteps(db, routeDone, [stepKind.route], { status: "SUCCEEDED", lastError: null }, now);

  // The serve checks of every operation that got that far, in parallel, so a reconcile is not
  // held up by one slow site; each passes only when every edge answers as it should.
  const passed: string[] = [];
  const failing: { id: string; message: string }[] = [];
  for (let i = 0; i < checks.length; i += 16) {
    await Promise.all(
      checks.slice(i, i + 16).map(async (c) => {
        const statuses = await Promise.all(edges.map((e) => probe(e, c.host)));
        if (statuses.every((s) => served(s, c.suspended))) passed.push(c.id);
        else failing.push({ id: c.id, message: `Edges ${edges.map((e) => e.address).join(", ")} answered ${statuses.join(", ")}; checking again.` });
      }),
    );
  }
  await setSteps(db, passed, [stepKind.serveCheck], { status: "SUCCEEDED", lastError: null }, new Date());
  for (const f of failing) {
    await db.operationStep.updateMany({ where: { operationId: f.id, kind: stepKind.serveCheck }, data: { status: "RUNNING", startedAt: now, ...errorColumns(f.message) } });
  }
  const candidates = [...new Set(nodeDone)];
  if (candidates.length === 0) return 0;
  // Finished when every step is: one statement for all of them.
  const finished = await db.$queryRaw<{ kind: string }[]>`
    UPDATE "Operation" o SET "status" = 'SUCCEEDED', "finishedAt" = now(), "lastError" = NULL, "customerError" = NULL
    WHERE o."id" = ANY(${candidates}) AND o."status" IN ('PENDING', 'RUNNING')
      AND NOT EXISTS (SELECT 1 FROM "OperationStep" s WHERE s."operationId" = o."id" AND s."status" <> 'SUCCEEDED')
    RETURNING o."kind"`;
  countSettled(finished, "succeeded");
  return finished.length;
}
