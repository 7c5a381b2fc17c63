import { PrismaPg } from "@prisma/adapter-pg";
import { DelayedError, Queue, Worker, type Job } from "bullmq";
import { z } from "zod";
import { minClusterSecretLength } from "../../server/contract/cluster-secrets";
import { PrismaClient } from "../../server/generated/prisma/client";
import { outboxEventPayload } from "../../server/jobs/outbox-event";
import { QUEUES, createRedisConnection } from "../../server/jobs/queues";
import { RECONCILE_NODE_JOB, cappedBackoff, reconcileDedupId, reconcileNodeOptions, reconcileNodePayload } from "../../server/jobs/reconcile-node";
import { SCHEDULES } from "../../server/jobs/schedules";
import { balanceTick, balancerModeSchema } from "./balance";
import { handleOutboxEvent } from "./handle-outbox-event";
import { agentClient } from "./agent-client";
import { readRouteTable } from "./read-route-table";
import { failOver } from "./failover";
import { collectHeartbeats, type HeartbeatHooks } from "./heartbeat";
import { rejoinNode } from "./rejoin";
import { tryLease } from "./node-lock";
import { startOutboxRelay } from "./outbox-relay";
import { ReconcileRetry, reconcileNode } from "./reconcile-node";
import { runMove } from "./move-site";
import { runRollback } from "./run-rollback";
import { runRestoreFile } from "./run-restore-file";
import { startNodeReadWorker } from "./node-read";
import { reReplicate } from "./re-replicate";
import { takeDueSnapshots } from "./snapshots";
import { sweep } from "./sweep";
import { collectUsage } from "./usage";
import { errorFields, processLogger, toLog } from "../../server/observability/logger";
import { startControlMetrics } from "./control-metrics";

// A control worker: the outbox relay, the outbox consumer (placement, fan-out), the per-node
// reconcile and the cluster schedules, in one process. Any number of them can run: the relay
// locks rows (SKIP LOCKED), reconciles take a per-node lease, schedules tick once cluster-wide.
// SIGTERM finishes the jobs in hand and exits; nothing is wiped at start.

const envSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  REDIS_URL: z.url({ protocol: /^redis$/ }).default("redis://127.0.0.1:6379"),
  SHOAL_CLUSTER_SECRET: z.string({ error: "SHOAL_CLUSTER_SECRET is required." }).min(minClusterSecretLength, `SHOAL_CLUSTER_SECRET must be at least ${minClusterSecretLength} characters.`),
  SHOAL_QUEUE_PREFIX: z.string().regex(/^[a-z0-9_-]{1,60}$/i).default("shoal"),
  SHOAL_RECONCILE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** The balancer: "on" (default), "dry-run" (logs the moves it would start) or "off". */
  SHOAL_BALANCER: balancerModeSchema,
  /** Heartbeat silence before a node is SUSPECT (DEGRADED) and its peers are asked to probe it. */
  SHOAL_SUSPECT_AFTER_MS: z.coerce.number().int().min(500).default(1500),
  /** A node enters or leaves DEAD at most once per this (a flapping link does not fail over and back). */
  SHOAL_HOLD_DOWN_MS: z.coerce.number().int().min(0).default(30_000),
  /** How often the snapshot schedule looks for due snapshots: the finest cadence a plan gets. */
  SHOAL_SNAPSHOT_TICK_MS: z.coerce.number().int().min(500).max(60_000).optional(),
  /** How often each site's disk use is collected from its live node (default 60 s). */
  SHOAL_USAGE_TICK_MS: z.coerce.number().int().min(1_000).max(3_600_000).optional(),
  /** "off": the heartbeat still marks nodes DEAD, but nothing is failed over (an operator does it). */
  SHOAL_FAILOVER: z.enum(["on", "off"]).default("on"),
  /** A lost (DEAD) node's sites get new replicas elsewhere once it has been down this long. */
  SHOAL_REREPLICATE_AFTER_MS: z.coerce.number().int().min(0).default(60_000),
  /** At most this many new replicas receive their first (full) copy at once, cluster-wide. */
  SHOAL_REREPLICATE_BUDGET: z.coerce.number().int().min(1).max(100).default(3),
});

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    processLogger("control").fatal(`The control worker's environment is invalid:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`);
    process.exit(1);
  }
  const env = parsed.data;
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: env.DATABASE_URL, max: 10 }) });
  const prefix = env.SHOAL_QUEUE_PREFIX;
  const log = toLog(processLogger("control"));
  const producer = createRedisConnection(env.REDIS_URL, { forWorker: true });
  const lockRedis = createRedisConnection(env.REDIS_URL, { forWorker: true });
  const reconcileQueue = new Queue(QUEUES.reconcile, { connection: producer, prefix });
  const schedulesQueue = new Queue(QUEUES.schedules, { connection: producer, prefix });

  const enqueue = async (nodeIds: readonly string[], force = false) => {
    await Promise.all(
      [...new Set(nodeIds)].map((nodeId) =>
        reconcileQueue.add(RECONCILE_NODE_JOB, { nodeId, force }, { ...reconcileNodeOptions, deduplication: { id: reconcileDedupId(nodeId) + (force ? ":force" : "") } }),
      ),
    );
  };
  const enqueueAll = async () => enqueue((await db.node.findMany({ select: { id: true } })).map((n) => n.id));

  // A move pushes route tables itself; holding these nodes' reconcile leases meanwhile means no
  // reconcile can push a table read before the move's change (sorted: two moves never deadlock).
  const withLeases = async <T>(nodeIds: string[], fn: () => Promise<T>): Promise<T> => {
    const held: Awaited<ReturnType<typeof tryLease>>[] = [];
    try {
      for (const nodeId of [...new Set(nodeIds)].sort()) {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const lease = await tryLease(lockRedis, `${prefix}:lease:reconcile:${nodeId}`);
          if (lease) {
            held.push(lease);
            break;
          }
          if (Date.now() > deadline) throw new Error(`Timed out waiting for node ${nodeId}'s reconcile to finish.`);
          await new Promise((r) => setTimeout(r, 25));
        }
      }
      return await fn();
    } finally {
      await Promise.all(held.map((l) => l?.release()));
    }
  };

  // Failover runs beside the heartbeat, not in its tick (a promote takes a second or more, and
  // heartbeats must go on meanwhile); one at a time cluster-wide, and each run re-plans from
  // Postgres, so a run cut short is finished by the next.
  let failoverRunning = false;
  let heldReasons = new Map<string, string>();
  const runFailover = async (deadNodeIds: string[]) => {
    if (failoverRunning || env.SHOAL_FAILOVER === "off") return;
    failoverRunning = true;
    const lease = await tryLease(lockRedis, `${prefix}:lease:failover`, 10_000).catch(() => null);
    try {
      if (lease) await failOver({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, withLeases, log }, deadNodeIds);
    } catch (e) {
      log(`failover: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      await lease?.release();
      failoverRunning = false;
    }
  };
  const heartbeatHooks: HeartbeatHooks = {
    onRecovered: (nodeId) => enqueue([nodeId], true),
    onDead: (deadNodeIds) => void runFailover(deadNodeIds),
    onRejoin: async (nodeId) => {
      for (const r of await rejoinNode({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, log }, nodeId)) {
        log(`rejoin: site ${r.siteId} ${r.diverged ? `diverged (${r.summary}), kept as ${r.snapshot}` : "had not diverged"}`);
      }
    },
    pushRoutes: async (nodeId, onlyIfBehind) => {
      // Its edge gets today's routes at once (fenced epochs), long before a DEAD node rejoins; a
      // reconcile would also converge its spec, which must wait for onRejoin.
      const [node, state] = await Promise.all([
        db.node.findUniqueOrThrow({ where: { id: nodeId }, select: { id: true, name: true, address: true, agentPort: true, appliedRoutesVersion: true } }),
        db.clusterState.findUnique({ where: { id: 1 }, select: { routesVersion: true } }),
      ]);
      if (onlyIfBehind && node.appliedRoutesVersion >= (state?.routesVersion ?? 0n)) return;
      const table = await readRouteTable(db);
      await agentClient(node, { clusterSecret: env.SHOAL_CLUSTER_SECRET, timeoutMs: 5_000 }).putRoutes({ routes: table.routes });
      await db.node.updateMany({ where: { id: nodeId, appliedRoutesVersion: { lt: table.version } }, data: { appliedRoutesVersion: table.version } });
      log(`node ${node.name}: its edge now has route table ${table.version}${onlyIfBehind ? " (heard again while DEAD)" : " (back from a crash)"}`);
    },
    log,
  };

  const relay = await startOutboxRelay({ db, databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL, prefix, onError: (e) => log(`outbox relay: ${e instanceof Error ? e.message : String(e)}`) });

  const connection = () => createRedisConnection(env.REDIS_URL, { forWorker: true });
  const outboxWorker = new Worker(
    QUEUES.outbox,
    async (job: Job) => {
      const event = outboxEventPayload.parse(job.data);
      // A rollback is a one-off action on the live node, not desired state to converge.
      if (event.topic === "site.rollback") return runRollback({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET }, event.outboxId);
      if (event.topic === "site.restoreFile") return runRestoreFile({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET }, event.outboxId);
      if (event.topic === "site.move") return runMove({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, withLeases, log }, event.outboxId);
      return handleOutboxEvent(db, event, (ids) => enqueue(ids), enqueueAll);
    },
    { connection: connection(), prefix, concurrency: 8 },
  );

  // The panel's questions to a site's live node (previews, snapshot listings), answered at once.
  const nodeReadWorker = startNodeReadWorker({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET }, { connection: connection(), prefix });

  const reconcileWorker = new Worker(
    QUEUES.reconcile,
    async (job: Job, token?: string) => {
      const { nodeId, force } = reconcileNodePayload.parse(job.data);
      // From here on a new change gets a new waiting job instead of folding into this running
      // one, so nothing committed after this read can be missed.
      await reconcileQueue.removeDeduplicationKey(reconcileDedupId(nodeId) + (force ? ":force" : ""));
      const lease = await tryLease(lockRedis, `${prefix}:lease:reconcile:${nodeId}`);
      if (!lease) {
        // Another worker is reconciling this node: look again shortly (its run ends in ~0.5 s).
        await job.moveToDelayed(Date.now() + 25, token);
        throw new DelayedError();
      }
      try {
        const started = Date.now();
        const result = await reconcileNode({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, log }, nodeId, force);
        if (!result.skipped) log(`reconciled node ${nodeId}: ${result.changes} change(s) in ${Date.now() - started} ms (${Object.entries(result.phases).map(([k, v]) => `${k} ${v}`).join(", ")})`);
      } finally {
        await lease.release();
      }
    },
    {
      connection: connection(),
      prefix,
      concurrency: env.SHOAL_RECONCILE_CONCURRENCY,
      settings: { backoffStrategy: (attemptsMade: number) => cappedBackoff(attemptsMade) },
    },
  );
  reconcileWorker.on("failed", (job, err) => {
    if (!(err instanceof ReconcileRetry) || (job?.attemptsMade ?? 0) % 20 === 1) log(`reconcile ${job?.data?.nodeId}: ${err.message}`);
  });

  // The balancer logs an unchanged situation once, not every round; so does re-replication.
  const balancerMemo = {};
  const reReplicateMemo = new Map<string, string>();
  const heartbeatQueue = new Queue(QUEUES.heartbeat, { connection: producer, prefix });
  const heartbeatWorker = new Worker(
    QUEUES.heartbeat,
    async () => {
      // One tick at a time cluster-wide: a slow tick (a probe waiting out its timeout) must not
      // overlap the next one and write older health over newer.
      const lease = await tryLease(lockRedis, `${prefix}:lease:heartbeat`, 5_000);
      if (!lease) return;
      try {
        const tick = await collectHeartbeats(db, env.SHOAL_CLUSTER_SECRET, heartbeatHooks, {
          detector: { suspectAfterMs: env.SHOAL_SUSPECT_AFTER_MS, holdDownMs: env.SHOAL_HOLD_DOWN_MS, probeMaxAgeMs: Math.max(3_000, env.SHOAL_SUSPECT_AFTER_MS * 2) },
        });
        // Why a silent node is not (yet) declared dead, each time that changes.
        for (const [nodeId, why] of Object.entries(tick.held)) {
          if (heldReasons.get(nodeId) !== why) log(`node ${nodeId} not failed over: ${why}`);
        }
        heldReasons = new Map(Object.entries(tick.held));
      } finally {
        await lease.release();
      }
    },
    { connection: connection(), prefix, concurrency: 2 },
  );
  await schedulesQueue.removeJobScheduler(SCHEDULES.heartbeat.id);
  await heartbeatQueue.upsertJobScheduler(SCHEDULES.heartbeat.id, { every: SCHEDULES.heartbeat.every }, { name: SCHEDULES.heartbeat.id, opts: { removeOnComplete: true, removeOnFail: 100 } });

  const schedulesWorker = new Worker(
    QUEUES.schedules,
    async (job: Job) => {
      if (job.name === SCHEDULES.balance.id) {
        // One round at a time cluster-wide: two overlapping rounds could each start a move on a node.
        const lease = await tryLease(lockRedis, `${prefix}:lease:balance`, 10_000);
        if (!lease) return;
        try {
          await balanceTick({ db, mode: env.SHOAL_BALANCER, log, memo: balancerMemo });
        } catch (e) {
          // Said in the log, not thrown: nothing watches failed schedule jobs, and the next round
          // (15 s) plans afresh anyway.
          log(`balancer: round failed: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          await lease.release();
        }
      } else if (job.name === SCHEDULES.rereplicate.id) {
        // One round at a time cluster-wide: two could each place a replica for the same site.
        const lease = await tryLease(lockRedis, `${prefix}:lease:rereplicate`, 30_000);
        if (!lease) return;
        try {
          await reReplicate({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, withLeases, log, afterMs: env.SHOAL_REREPLICATE_AFTER_MS, budget: env.SHOAL_REREPLICATE_BUDGET, memo: reReplicateMemo });
        } catch (e) {
          log(`re-replication: round failed: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          await lease.release();
        }
      } else if (job.name === SCHEDULES.sweep.id) {
        await sweep(db, enqueue);
      } else if (job.name === SCHEDULES.usage.id) {
        const lease = await tryLease(lockRedis, `${prefix}:lease:usage`, 60_000);
        if (!lease) return;
        try {
          await collectUsage(db, env.SHOAL_CLUSTER_SECRET, { log });
        } catch (e) {
          // Said, not thrown: nothing watches failed schedule jobs, and the next tick measures afresh.
          log(`usage: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          await lease.release();
        }
      } else if (job.name === SCHEDULES.snapshots.id) {
        const counts = await reconcileQueue.getJobCounts("active", "waiting", "prioritized");
        const busy = (counts.active ?? 0) + (counts.waiting ?? 0) + (counts.prioritized ?? 0) > 0;
        // Ticks do not overlap (a slow one would take the same sites' snapshots twice).
        const lease = await tryLease(lockRedis, `${prefix}:lease:snapshots`, 30_000);
        if (!lease) return;
        try {
          await takeDueSnapshots(db, env.SHOAL_CLUSTER_SECRET, { log, busy });
        } finally {
          await lease.release();
        }
      }
    },
    // A slot per schedule: a re-replication round streaming a new replica's first copy must not hold up the snapshots.
    { connection: connection(), prefix, concurrency: Object.keys(SCHEDULES).length },
  );
  for (const s of Object.values(SCHEDULES).filter((x) => x.id !== SCHEDULES.heartbeat.id)) {
    const every =
      s.id === SCHEDULES.snapshots.id ? (env.SHOAL_SNAPSHOT_TICK_MS ?? s.every) : s.id === SCHEDULES.usage.id ? (env.SHOAL_USAGE_TICK_MS ?? s.every) : s.every;
    await schedulesQueue.upsertJobScheduler(s.id, { every }, { name: s.id, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }
  // /metrics on loopback when SHOAL_METRICS_PORT is set (control-metrics.ts); job durations always.
  await startControlMetrics({ db, redisUrl: env.REDIS_URL, prefix, workers: [outboxWorker, nodeReadWorker, reconcileWorker, heartbeatWorker, schedulesWorker], log });
  log(`control worker started (balancer ${env.SHOAL_BALANCER})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing the jobs in hand`);
    await Promise.allSettled([outboxWorker.close(), nodeReadWorker.close(), reconcileWorker.close(), schedulesWorker.close(), heartbeatWorker.close()]);
    await relay.stop();
    await Promise.allSettled([reconcileQueue.close(), schedulesQueue.close(), heartbeatQueue.close()]);
    producer.disconnect();
    lockRedis.disconnect();
    await db.$disconnect();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((e: unknown) => {
  processLogger("control").fatal(errorFields(e), e instanceof Error ? e.message : String(e));
  process.exit(1);
});
