import type { Db } from "../../server/db";
import { agentClient, AgentRejectedError } from "./agent-client";
import { markStep } from "./operation-progress";
import { operationKind, releaseReplicaStepKinds, reReplicateStepKinds, stepKind, type OperationKind, type StepKind } from "../../server/domain/operation-kinds";
import { placementCandidates } from "./place-site";
import { lockClusterState, routableSiteWhere } from "./read-route-table";
import {
  countsAsCopy,
  planReReplication,
  replacedNodeNames,
  type ReplicaAddition,
  type ReplicaRelease,
  type ReplicationSite,
} from "../../server/domain/re-replication";
import type { WithLeases } from "./publish-routes";
import { reconcileNode } from "./reconcile-node";
import { replicateSite, streamsSettled } from "./replicate";
import { countSettled } from "./control-metrics";
import type { Log } from "../../server/observability/logger";

// Re-replication (issue 4; the pure rules are server/domain/re-replication.ts). A periodic round,
// one at a time cluster-wide (main.ts holds a lease):
//   1. finish what earlier rounds started: a new replica's seed, a released replica's clean-up;
//   2. a site with fewer copies on nodes that count (not DEAD, not PENDING) than its plan's, once
//      the node it lost has been down for the grace: a REPLICA placement on the best node that
//      does not hold it, as an Operation whose steps the panel shows
//        place     the placement (with the operation and an audit row, in one transaction)
//        converge  the node's reconcile: the site's account there, its replica in the spec
//        seed      the live node's newest snapshot streamed there, in full (nothing in common)
//      at most `budget` seeds in flight cluster-wide (and `perNode` onto one node), so a node
//      loss does not flood the cluster with full copies;
//   3. a site with one copy too many because a lost node came back beside its stand-in: one of
//      the two is released (placement removed, then that node's converge deletes its store).
// Every step re-reads Postgres and is safe to repeat: a round cut short is finished by the next.

export type ReReplicateContext = {
  db: Db;
  clusterSecret: string;
  withLeases: WithLeases;
  log?: Log;
  /** How long a node must have been lost before its sites get new replicas (SHOAL_REREPLICATE_AFTER_MS). */
  afterMs: number;
  /** New replicas being seeded at once, cluster-wide. */
  budget?: number;
  perNode?: number;
  /** A seed not done after this fails (its placement goes if it received nothing). */
  seedTimeoutMs?: number;
  /** How long a round waits for its seeds before it ends (they go on; the next round looks again). */
  seedWaitMs?: number;
  /** Why a site waits, logged when it changes (the worker keeps it between rounds). */
  memo?: Map<string, string>;
};

export type ReReplicateRound = {
  added: ReplicaAddition[];
  released: ReplicaRelease[];
  seeded: { siteId: string; nodeName: string; bytes: number; ms: number }[];
  waiting: { siteId: string; reason: string }[];
};

type NodeRow = { id: string; name: string; address: string; agentPort: number; status: string };

// Seeds still streaming after a round stopped waiting for them: not started again meanwhile.
const seedsInFlight = new Map<string, Promise<void>>();

type Seed = { opId: string; siteId: string; node: NodeRow; createdAt: Date };

export async function reReplicate(ctx: ReReplicateContext): Promise<ReReplicateRound> {
  const { db } = ctx;
  const round: ReReplicateRound = { added: [], released: [], seeded: [], waiting: [] };
  const nodes: NodeRow[] = await db.node.findMany({ select: { id: true, name: true, address: true, agentPort: true, status: true } });
  const seeds = await resumeOpen(ctx, nodes);
  const plan = await planRound(ctx, seeds);
  round.waiting = plan.waiting;
  logWaiting(ctx, plan.waiting);
  for (const r of plan.release) {
    if (await releaseReplica(ctx, r, nodes)) round.released.push(r);
  }
  for (const a of plan.add) {
    const opId = await placeReplica(ctx, a, nodes);
    if (!opId) continue;
    round.added.push(a);
    ctx.log?.(`re-replication: site ${a.siteId} gets a new replica on ${a.nodeName} (${a.reason})`, { siteId: a.siteId });
    seeds.push({ opId, siteId: a.siteId, node: nodes.find((n) => n.id === a.nodeId)!, createdAt: new Date() });
  }
  await runSeeds(ctx, seeds, round);
  return round;
}

/** 1. What earlier rounds left running: releases are finished now, seeds run again below. */
async function resumeOpen(ctx: ReReplicateContext, nodes: NodeRow[]): Promise<Seed[]> {
  const { db } = ctx;
  const nodeByName = new Map(nodes.map((n) => [n.name, n]));
  const open = await db.operation.findMany({
    where: { kind: { in: [operationKind.siteRereplicate, operationKind.siteReleaseReplica] }, status: "RUNNING" },
    orderBy: { createdAt: "asc" },
    select: { id: true, kind: true, targetId: true, createdAt: true, steps: { select: { kind: true, target: true, status: true } } },
  });
  const seeds: Seed[] = [];
  for (const op of open) {
    const node = nodeByName.get(op.steps.find((s) => s.kind === stepKind.converge || s.kind === stepKind.clean)?.target ?? "");
    if (!node) {
      await finish(db, op.id, "FAILED", "Its node is no longer registered.");
      continue;
    }
    if (op.kind === operationKind.siteReleaseReplica) await clean(ctx, op.id, op.targetId, node);
    else seeds.push({ opId: op.id, siteId: op.targetId, node, createdAt: op.createdAt });
  }
  return seeds;
}

/** 2 + 3. Sites whose copies on nodes that count differ from their plan's, and what to do about them. */
async function planRound(ctx: ReReplicateContext, seeds: Seed[]) {
  const { db } = ctx;
  const mismatched = await db.$queryRaw<{ id: string }[]>`
    SELECT s."id" FROM "Site" s
    JOIN "HostingAccount" a ON a."id" = s."accountId"
    JOIN "Plan" pl ON pl."id" = a."planId"
    WHERE s."deletedAt" IS NULL AND s."routed" AND s."observedGeneration" > 0
      AND (SELECT count(*) FROM "Placement" p JOIN "Node" n ON n."id" = p."nodeId"
           WHERE p."siteId" = s."id" AND n."status" NOT IN ('DEAD', 'PENDING')) <> pl."copies"
    ORDER BY s."id" LIMIT 5000`;
  const sites = await readSites(db, mismatched.map((m) => m.id));
  const [pool, health] = await Promise.all([placementCandidates(db), db.node.findMany({ select: { id: true, healthSince: true } })]);
  const since = new Map(health.map((n) => [n.id, n.healthSince?.getTime() ?? null]));
  return planReReplication({
    now: Date.now(),
    graceMs: ctx.afterMs,
    budget: ctx.budget ?? 3,
    perNode: ctx.perNode ?? 2,
    inFlight: seeds.map((s) => s.node.id),
    nodes: pool.map((n) => ({ ...n, healthSince: since.get(n.id) ?? null })),
    sites,
  });
}

/** Why a site waits, said once per change (the memo outlives the round). */
function logWaiting(ctx: ReReplicateContext, waiting: ReReplicateRound["waiting"]): void {
  const memo = ctx.memo ?? new Map<string, string>();
  const stillWaiting = new Set(waiting.map((w) => w.siteId));
  for (const w of waiting) {
    if (memo.get(w.siteId) !== w.reason) ctx.log?.(`re-replication: site ${w.siteId} waits: ${w.reason}`, { siteId: w.siteId });
    memo.set(w.siteId, w.reason);
  }
  for (const id of [...memo.keys()]) if (!stillWaiting.has(id)) memo.delete(id);
}

/** Seeds run together (their number is the budget), each bounded by the round's patience. */
async function runSeeds(ctx: ReReplicateContext, seeds: Seed[], round: ReReplicateRound): Promise<void> {
  const waitMs = ctx.seedWaitMs ?? 120_000;
  await Promise.all(
    seeds.map(async (s) => {
      let running = seedsInFlight.get(s.opId);
      if (!running) {
        running = seedReplica(ctx, s, round).finally(() => seedsInFlight.delete(s.opId));
        seedsInFlight.set(s.opId, running);
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    }),
  );
}

/** The decision's inputs for these sites: placements, plan, lag behind the live copy, pinned snapshots. */
async function readSites(db: Db, ids: string[]): Promise<ReplicationSite[]> {
  if (ids.length === 0) return [];
  const [rows, busy, lag, pinned] = await Promise.all([
    db.site.findMany({
      where: { id: { in: ids }, ...routableSiteWhere },
      select: { id: true, account: { select: { plan: { select: { copies: true, snapshotCadenceSec: true } } } }, placements: { select: { nodeId: true, role: true, reason: true } } },
    }),
    // A release still waiting to delete a copy on a node that is down does not hold the site up.
    db.operation.findMany({ where: { targetType: "Site", targetId: { in: ids }, status: { in: ["PENDING", "RUNNING"] }, kind: { not: operationKind.siteReleaseReplica } }, select: { targetId: true } }),
    // Per node holding the site: the newest scheduled snapshot it shares with the live node,
    // against the live node's newest (and that one's size).
    db.$queryRaw<{ siteId: string; nodeId: string; common: Date | null; newest: Date | null; sizeBytes: bigint | null }[]>`
      WITH live AS (
        SELECT p."siteId", p."nodeId" FROM "Placement" p WHERE p."role" = 'PRIMARY' AND p."siteId" = ANY(${ids})
      ), newest AS (
        SELECT DISTINCT ON (x."siteId") x."siteId", x."takenAt", x."sizeBytes"
        FROM "Snapshot" x JOIN live ON live."siteId" = x."siteId" AND live."nodeId" = x."nodeId"
        WHERE x."kind" = 'SCHEDULED' ORDER BY x."siteId", x."takenAt" DESC
      )
      SELECT r."siteId", r."nodeId", max(r."takenAt") AS common, max(newest."takenAt") AS newest, max(newest."sizeBytes") AS "sizeBytes"
      FROM "Snapshot" r
      JOIN live ON live."siteId" = r."siteId"
      LEFT JOIN newest ON newest."siteId" = r."siteId"
      WHERE r."kind" = 'SCHEDULED' AND r."nodeId" IS NOT NULL
        AND EXISTS (SELECT 1 FROM "Snapshot" l WHERE l."siteId" = r."siteId" AND l."nodeId" = live."nodeId" AND l."name" = r."name")
      GROUP BY r."siteId", r."nodeId"`,
    db.snapshot.groupBy({ by: ["siteId", "nodeId"], where: { siteId: { in: ids }, nodeId: { not: null }, kind: { not: "SCHEDULED" } }, _count: { _all: true } }),
  ]);
  const busySites = new Set(busy.map((b) => b.targetId));
  return rows.map((s) => {
    const mine = lag.filter((l) => l.siteId === s.id);
    const live = s.placements.find((p) => p.role === "PRIMARY");
    const lagMs: Record<string, number | null> = {};
    for (const p of s.placements) {
      const l = mine.find((x) => x.nodeId === p.nodeId);
      lagMs[p.nodeId] = p === live ? 0 : l?.common && l.newest ? Math.max(0, l.newest.getTime() - l.common.getTime()) : null;
    }
    const size = mine.find((x) => x.sizeBytes !== null)?.sizeBytes ?? 0n;
    return {
      siteId: s.id,
      copies: s.account.plan.copies,
      cadenceMs: s.account.plan.snapshotCadenceSec * 1000,
      sizeMb: Number(size / 1_048_576n),
      busy: busySites.has(s.id),
      placements: s.placements,
      lagMs,
      pinnedOn: pinned.filter((p) => p.siteId === s.id && p.nodeId).map((p) => p.nodeId!),
    };
  });
}

async function finish(db: Db, opId: string, status: "SUCCEEDED" | "FAILED", lastError: string | null): Promise<void> {
  if (status === "FAILED") await db.operationStep.updateMany({ where: { operationId: opId, status: { in: ["PENDING", "RUNNING"] } }, data: { status: "FAILED", lastError, finishedAt: new Date() } });
  countSettled(await db.operation.updateManyAndReturn({ where: { id: opId, status: "RUNNING" }, data: { status, lastError, finishedAt: new Date() }, select: { kind: true } }), status === "SUCCEEDED" ? "succeeded" : "failed");
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/**
 * The operation of a placement change made in `tx` (its first step, the change itself, done) and
 * its audit row, by the re-replication rather than a person.
 */
async function recordOperation(
  tx: Tx,
  o: { kind: OperationKind; stepKinds: readonly StepKind[]; siteId: string; customer: { id: string; resellerId: string }; nodeName: string; before: object; after: object },
): Promise<string> {
  const now = new Date();
  const op = await tx.operation.create({
    data: {
      kind: o.kind,
      targetType: "Site",
      targetId: o.siteId,
      resellerId: o.customer.resellerId,
      customerId: o.customer.id,
      status: "RUNNING",
      startedAt: now,
      lastError: null,
      steps: {
        create: o.stepKinds.map((kind, index) => ({
          index,
          kind,
          target: o.nodeName,
          ...(index === 0 ? { status: "SUCCEEDED" as const, attempts: 1, startedAt: now, finishedAt: now } : {}),
        })),
      },
    },
    select: { id: true },
  });
  await tx.auditEvent.create({
    data: { resellerId: o.customer.resellerId, customerId: o.customer.id, actorEmail: "re-replication", action: o.kind, targetType: "Site", targetId: o.siteId, before: o.before, after: o.after },
  });
  return op.id;
}

/** The new placement, its operation and its audit row, in one transaction; null if the site changed meanwhile. */
async function placeReplica(ctx: ReReplicateContext, a: ReplicaAddition, nodes: NodeRow[]): Promise<string | null> {
  const target = nodes.find((n) => n.id === a.nodeId)!;
  return ctx.db.$transaction(async (tx) => {
    await lockClusterState(tx);
    const site = await tx.site.findFirst({
      where: { id: a.siteId, ...routableSiteWhere },
      select: {
        domain: { select: { name: true } },
        account: { select: { plan: { select: { copies: true } }, customer: { select: { id: true, resellerId: true } } } },
        placements: { select: { nodeId: true, role: true, epoch: true, node: { select: { name: true, status: true } } } },
      },
    });
    if (!site) return null;
    const counted = site.placements.filter((p) => countsAsCopy(p.node.status));
    const primary = site.placements.find((p) => p.role === "PRIMARY");
    if (!primary || counted.length >= site.account.plan.copies || site.placements.some((p) => p.nodeId === a.nodeId)) return null;
    await tx.placement.create({ data: { siteId: a.siteId, nodeId: a.nodeId, role: "REPLICA", epoch: primary.epoch, reason: a.reason } });
    return recordOperation(tx, {
      kind: operationKind.siteRereplicate,
      stepKinds: reReplicateStepKinds,
      siteId: a.siteId,
      customer: site.account.customer,
      nodeName: target.name,
      before: { copies: counted.map((p) => p.node.name), lost: a.lostNodeNames },
      after: { added: a.nodeName, reason: a.reason },
    });
  });
}

/** converge, then seed; a step that cannot finish now says why and is tried again next round. */
async function seedReplica(ctx: ReReplicateContext, s: { opId: string; siteId: string; node: NodeRow; createdAt: Date }, round: ReReplicateRound): Promise<void> {
  const { db } = ctx;
  const t0 = performance.now();
  const [placement, node, steps] = await Promise.all([
    db.placement.findFirst({ where: { siteId: s.siteId, nodeId: s.node.id }, select: { id: true, role: true } }),
    db.node.findUnique({ where: { id: s.node.id }, select: { status: true } }),
    db.operationStep.findMany({ where: { operationId: s.opId }, select: { kind: true, status: true } }),
  ]);
  const held = () => db.snapshot.count({ where: { siteId: s.siteId, nodeId: s.node.id, kind: "SCHEDULED" } });
  const giveUp = async (why: string) => {
    // A placement that received nothing goes, so a later round can place the copy afresh.
    if (placement && placement.role === "REPLICA" && (await held()) === 0) {
      await db.placement.deleteMany({ where: { id: placement.id } });
      if (node && countsAsCopy(node.status)) await ctx.withLeases([s.node.id], () => reconcileNode(ctx, s.node.id, false)).catch(() => undefined);
    }
    ctx.log?.(`re-replication: site ${s.siteId} to ${s.node.name} given up: ${why}`, { siteId: s.siteId, nodeId: s.node.id });
    await finish(db, s.opId, "FAILED", why);
  };
  if (!placement) return finish(db, s.opId, "FAILED", "The placement was removed meanwhile.");
  if (!node || !countsAsCopy(node.status)) return giveUp(`${s.node.name} went down before it held a copy.`);
  if (Date.now() - s.createdAt.getTime() > (ctx.seedTimeoutMs ?? 15 * 60_000)) return giveUp(`No copy reached ${s.node.name} in ${Math.round((ctx.seedTimeoutMs ?? 15 * 60_000) / 60_000)} min.`);
  const say = async (kind: StepKind, e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    await markStep(db, s.opId, kind, "RUNNING", message);
    await db.operation.update({ where: { id: s.opId }, data: { lastError: message.slice(0, 2000) } });
  };

  if (steps.find((x) => x.kind === stepKind.converge)?.status !== "SUCCEEDED") {
    await markStep(db, s.opId, "converge", "RUNNING");
    try {
      await ctx.withLeases([s.node.id], () => reconcileNode(ctx, s.node.id, false));
    } catch (e) {
      return say("converge", e);
    }
    await markStep(db, s.opId, "converge", "SUCCEEDED", null);
  }

  await markStep(db, s.opId, "seed", "RUNNING");
  let sent: Awaited<ReturnType<typeof replicateSite>>;
  try {
    sent = await replicateSite(db, ctx.clusterSecret, s.siteId, { seed: s.node.id });
  } catch (e) {
    return say("seed", e);
  }
  if ((await held()) === 0) return say("seed", new Error("Waiting for the live node's first snapshot (or for the node to answer)."));
  await markStep(db, s.opId, "seed", "SUCCEEDED", null);
  await finish(db, s.opId, "SUCCEEDED", null);
  const bytes = sent.reduce((sum, r) => sum + r.bytes, 0);
  const ms = Math.round(performance.now() - t0);
  round.seeded.push({ siteId: s.siteId, nodeName: s.node.name, bytes, ms });
  ctx.log?.(`re-replication: site ${s.siteId} now has a copy on ${s.node.name}: ${sent.map((r) => `${r.name} ${r.bytes} bytes (${r.parent ? `incremental from ${r.parent}` : "full"})`).join(", ") || "already there"} in ${ms} ms`, { siteId: s.siteId, nodeId: s.node.id });
}

/** Removes the surplus placement (re-checked under the cluster lock) and cleans its node; false if nothing was removed. */
async function releaseReplica(ctx: ReReplicateContext, r: ReplicaRelease, nodes: NodeRow[]): Promise<boolean> {
  const { db } = ctx;
  const opId = await db.$transaction(async (tx) => {
    await lockClusterState(tx);
    const site = await tx.site.findUnique({
      where: { id: r.siteId },
      select: {
        account: { select: { plan: { select: { copies: true } }, customer: { select: { id: true, resellerId: true } } } },
        placements: { select: { id: true, nodeId: true, role: true, reason: true, node: { select: { name: true, status: true } } } },
      },
    });
    const drop = site?.placements.find((p) => p.nodeId === r.nodeId);
    if (!site || !drop || drop.role !== "REPLICA") return null;
    const counted = site.placements.filter((p) => countsAsCopy(p.node.status));
    if (counted.length <= site.account.plan.copies) return null;
    // The customer's way back (a DIVERGENT copy, a rollback's kept state) is never released.
    if ((await tx.snapshot.count({ where: { siteId: r.siteId, nodeId: r.nodeId, kind: { not: "SCHEDULED" } } })) > 0) return null;
    await tx.placement.delete({ where: { id: drop.id } });
    // The pair is resolved: a stand-in that stays is an ordinary replica from now on.
    const standIn = site.placements.find((p) => p.nodeId === r.standInNodeId && p.nodeId !== r.nodeId);
    if (standIn) {
      await tx.placement.update({ where: { id: standIn.id }, data: { reason: `replica: stood in for ${(replacedNodeNames(standIn.reason) ?? []).join(", ")}, kept (${r.reason})` } });
    }
    return recordOperation(tx, {
      kind: operationKind.siteReleaseReplica,
      stepKinds: releaseReplicaStepKinds,
      siteId: r.siteId,
      customer: site.account.customer,
      nodeName: r.nodeName,
      before: { copies: counted.map((p) => p.node.name) },
      after: { released: r.nodeName, reason: r.reason },
    });
  });
  if (!opId) return false;
  ctx.log?.(`re-replication: site ${r.siteId}: the copy on ${r.nodeName} is released (${r.reason})`, { siteId: r.siteId });
  await clean(ctx, opId, r.siteId, nodes.find((n) => n.id === r.nodeId)!);
  return true;
}

/**
 * The released node's copy goes: its snapshots through the agent (a replica that never served
 * the site has no store in an account's home for a converge to find, only snapshots), their rows,
 * then its converge, which drops the replica from its spec (and an account it no longer needs).
 */
async function clean(ctx: ReReplicateContext, opId: string, siteId: string, node: NodeRow): Promise<void> {
  const { db } = ctx;
  // Placed there again meanwhile (a later round): its copy is wanted, nothing to clean.
  const placedAgain = (await db.placement.count({ where: { siteId, nodeId: node.id } })) > 0;
  if (!placedAgain) {
    await markStep(db, opId, "clean", "RUNNING");
    const current = await db.node.findUnique({ where: { id: node.id }, select: { status: true } });
    // A node that is down keeps them until it is back; a later round cleans then.
    if (!current || !countsAsCopy(current.status)) {
      await markStep(db, opId, "clean", "RUNNING", `${node.name} is ${current?.status ?? "gone"}; its copy is deleted when it is back.`);
      return;
    }
    try {
      // A stream that was on its way there when the placement went would land after the delete.
      await Promise.race([streamsSettled(siteId, node.id), new Promise((r) => setTimeout(r, 60_000).unref())]);
      const agent = agentClient(node, { clusterSecret: ctx.clusterSecret, timeoutMs: 30_000 });
      // Only what was replicated there: a non-scheduled snapshot is never released (re-checked).
      const rows = await db.snapshot.findMany({ where: { siteId, nodeId: node.id }, select: { id: true, name: true, kind: true } });
      if (rows.some((r) => r.kind !== "SCHEDULED")) throw new Error(`${node.name} holds a snapshot that is never deleted; its copy is kept.`);
      for (const row of rows) {
        await agent.deleteSnapshot(siteId, row.name).catch((e: unknown) => {
          if (!(e instanceof AgentRejectedError && e.status === 404)) throw e;
        });
        await db.snapshot.delete({ where: { id: row.id } });
      }
      await ctx.withLeases([node.id], () => reconcileNode(ctx, node.id, false));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await markStep(db, opId, "clean", "RUNNING", message);
      await db.operation.update({ where: { id: opId }, data: { lastError: message.slice(0, 2000) } });
      return;
    }
  }
  await markStep(db, opId, "clean", "SUCCEEDED", null);
  await finish(db, opId, "SUCCEEDED", null);
}
