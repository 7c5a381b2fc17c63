import http from "node:http";
import type { Db } from "../db";

// Operations are the panel's view of work in flight (STYLE 10): the reconcile records here what
// it is doing to each object, and `settleOperations` decides from Postgres alone (observed
// generations, placements, each edge's applied route version) which steps are done. Nothing here
// replays work: an operation finishes when the state it asked for is observed.

export const nodeStepKinds = new Set(["account", "site store", "vhost + php-fpm pool", "database", "database user", "app install"]);
const openStatuses = ["PENDING", "RUNNING"] as const;

type OpenOp = { id: string; kind: string; targetType: string; targetId: string };

async function openOps(db: Db, targetIds: readonly string[]): Promise<OpenOp[]> {
  if (targetIds.length === 0) return [];
  return db.operation.findMany({
    where: { targetId: { in: [...targetIds] }, status: { in: [...openStatuses] } },
    select: { id: true, kind: true, targetType: true, targetId: true },
  });
}

async function setSteps(db: Db, operationId: string, kinds: (kind: string) => boolean, data: { status: "RUNNING" | "SUCCEEDED" | "FAILED"; lastError?: string | null }, now: Date) {
  const steps = await db.operationStep.findMany({ where: { operationId, status: { in: ["PENDING", "RUNNING", "FAILED"] } }, select: { id: true, kind: true, status: true } });
  const ids = steps.filter((s) => kinds(s.kind)).map((s) => s.id);
  if (ids.length === 0) return;
  if (data.status === "RUNNING") {
    await db.operationStep.updateMany({ where: { id: { in: ids }, status: "PENDING" }, data: { status: "RUNNING", startedAt: now } });
    await db.operationStep.updateMany({ where: { id: { in: ids }, status: "FAILED" }, data: { status: "RUNNING" } });
  } else {
    await db.operationStep.updateMany({
      where: { id: { in: ids } },
      data: { status: data.status, finishedAt: now, ...(data.lastError !== undefined ? { lastError: data.lastError } : {}) },
    });
    await db.operationStep.updateMany({ where: { id: { in: ids }, startedAt: null }, data: { startedAt: now } });
  }
}

/** The reconcile of `nodeName` starts applying these objects: their node-side steps run. */
export async function markApplying(db: Db, targetIds: readonly string[], nodeName: string): Promise<void> {
  const now = new Date();
  for (const op of await openOps(db, targetIds)) {
    await db.operation.updateMany({ where: { id: op.id, status: "PENDING" }, data: { status: "RUNNING", startedAt: now } });
    await db.operationStep.updateMany({ where: { operationId: op.id, kind: "placement", status: { in: ["PENDING", "RUNNING"] } }, data: { status: "SUCCEEDED", finishedAt: now, target: nodeName } });
    await db.operationStep.updateMany({ where: { operationId: op.id, kind: "placement", startedAt: null }, data: { startedAt: now } });
    await setSteps(db, op.id, (k) => nodeStepKinds.has(k), { status: "RUNNING" }, now);
    await db.operationStep.updateMany({ where: { operationId: op.id, kind: { in: [...nodeStepKinds] }, status: "RUNNING" }, data: { attempts: { increment: 1 } } });
  }
}

/** Something is in the way but may clear by itself (node away, a step failed): shown, retried. */
export async function recordWaiting(db: Db, targetIds: readonly string[], message: string): Promise<void> {
  const ops = await openOps(db, targetIds);
  if (ops.length === 0) return;
  const ids = ops.map((o) => o.id);
  await db.operation.updateMany({ where: { id: { in: ids } }, data: { lastError: message.slice(0, 2000) } });
  await db.operationStep.updateMany({ where: { operationId: { in: ids }, status: "RUNNING" }, data: { lastError: message.slice(0, 2000) } });
}

/** A placement could not be made: the first step says why until a node can take the site. */
export async function recordUnplaced(db: Db, targetId: string, message: string): Promise<void> {
  const ops = await openOps(db, [targetId]);
  for (const op of ops) {
    await db.operation.update({ where: { id: op.id }, data: { lastError: message } });
    await db.operationStep.updateMany({ where: { operationId: op.id, kind: "placement" }, data: { lastError: message, attempts: { increment: 1 } } });
  }
}

/** The node said no and retrying cannot help (an invalid spec): stop with the reason. */
export async function failPermanently(db: Db, targetId: string, message: string): Promise<void> {
  const now = new Date();
  for (const op of await openOps(db, [targetId])) {
    await setSteps(db, op.id, (k) => nodeStepKinds.has(k), { status: "FAILED", lastError: message }, now);
    await db.operation.update({ where: { id: op.id }, data: { status: "FAILED", lastError: message, finishedAt: now } });
  }
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
  const ops = await db.operation.findMany({
    where: { status: { in: [...openStatuses] }, targetType: { in: ["Site", "Database"] } },
    orderBy: { createdAt: "asc" },
    take: 500,
    select: { id: true, kind: true, targetType: true, targetId: true, steps: { select: { kind: true, status: true } } },
  });
  if (ops.length === 0) return 0;
  const edges = await db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { address: true, httpPort: true, appliedRoutesVersion: true } });
  const minRoutes = edges.reduce((m, e) => (e.appliedRoutesVersion < m ? e.appliedRoutesVersion : m), edges[0]?.appliedRoutesVersion ?? 0n);
  let finished = 0;
  const now = new Date();
  // First what Postgres alone shows; then the serve checks of every op that got that far, in
  // parallel, so a reconcile is not held up by one slow site.
  const ready: { id: string; check: { host: string; suspended: boolean } | null; needsCheck: boolean }[] = [];
  for (const op of ops) {
    let nodeDone = false;
    let routeDone = true;
    let check: { host: string; suspended: boolean } | null = null;
    if (op.targetType === "Site") {
      const site = await db.site.findUnique({
        where: { id: op.targetId },
        select: { generation: true, observedGeneration: true, deletedAt: true, status: true, routeVersion: true, domain: { select: { name: true } }, account: { select: { status: true, customer: { select: { status: true } } } }, _count: { select: { placements: true } } },
      });
      if (!site) continue;
      const gone = site.deletedAt !== null || site.status === "TERMINATED";
      nodeDone = gone ? site._count.placements === 0 : site.observedGeneration >= site.generation;
      routeDone = edges.length > 0 && minRoutes >= site.routeVersion;
      if (!gone) check = { host: site.domain.name, suspended: site.status !== "ACTIVE" || site.account.status !== "ACTIVE" || site.account.customer.status !== "ACTIVE" };
    } else {
      const database = await db.database.findUnique({ where: { id: op.targetId }, select: { generation: true, observedGeneration: true } });
      if (!database) continue;
      nodeDone = database.observedGeneration >= database.generation;
    }
    if (!nodeDone) continue;
    await setSteps(db, op.id, (k) => nodeStepKinds.has(k) || k === "placement", { status: "SUCCEEDED", lastError: null }, now);
    if (!routeDone) continue;
    await setSteps(db, op.id, (k) => k === "route", { status: "SUCCEEDED", lastError: null }, now);
    ready.push({ id: op.id, check, needsCheck: check !== null && op.steps.some((s) => s.kind === "serve check") });
  }
  const finish = async (r: (typeof ready)[number]) => {
    if (r.needsCheck && r.check) {
      const { host, suspended } = r.check;
      const statuses = await Promise.all(edges.map((e) => probe(e, host)));
      if (!statuses.every((s) => served(s, suspended))) {
        await db.operationStep.updateMany({
          where: { operationId: r.id, kind: "serve check" },
          data: { status: "RUNNING", startedAt: now, lastError: `Edges answered ${statuses.join(", ")}; checking again.` },
        });
        return;
      }
      await setSteps(db, r.id, (k) => k === "serve check", { status: "SUCCEEDED", lastError: null }, new Date());
    }
    const rest = await db.operationStep.count({ where: { operationId: r.id, status: { not: "SUCCEEDED" } } });
    if (rest > 0) return;
    const done = await db.operation.updateMany({ where: { id: r.id, status: { in: [...openStatuses] } }, data: { status: "SUCCEEDED", finishedAt: new Date(), lastError: null } });
    finished += done.count;
  };
  for (let i = 0; i < ready.length; i += 16) await Promise.all(ready.slice(i, i + 16).map(finish));
  return finished;
}
