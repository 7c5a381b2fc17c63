import { PrismaPg } from "@prisma/adapter-pg";
import { DelayedError, Queue, Worker, type Job } from "bullmq";
import { z } from "zod";
import { minClusterSecretLength } from "../../server/cluster/cluster-secrets";
import { PrismaClient } from "../../server/generated/prisma/client";
import { outboxEventPayload } from "../../server/jobs/outbox-event";
import { QUEUES, createRedisConnection } from "../../server/jobs/queues";
import { RECONCILE_NODE_JOB, cappedBackoff, reconcileDedupId, reconcileNodeOptions, reconcileNodePayload } from "../../server/jobs/reconcile-node";
import { SCHEDULES } from "../../server/jobs/schedules";
import { balanceTick, balancerModeSchema } from "./balance";
import { handleOutboxEvent } from "./handle-outbox-event";
import { collectHeartbeats } from "./heartbeat";
import { tryLease } from "./node-lock";
import { startOutboxRelay } from "./outbox-relay";
import { ReconcileRetry, reconcileNode } from "./reconcile-node";
import { runMove } from "./move-site";
import { runRollback } from "./run-rollback";
import { takeDueSnapshots } from "./snapshots";
import { sweep } from "./sweep";

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
  /** Heartbeat silence before a node is DEGRADED / DEAD. */
  SHOAL_DEGRADED_AFTER_MS: z.coerce.number().int().min(500).default(3000),
  SHOAL_DEAD_AFTER_MS: z.coerce.number().int().min(1000).default(15000),
});

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    console.error(`The control worker's environment is invalid:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`);
    process.exit(1);
  }
  const env = parsed.data;
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: env.DATABASE_URL, max: 10 }) });
  const prefix = env.SHOAL_QUEUE_PREFIX;
  const log = (line: string) => console.log(`[control ${process.pid}] ${line}`);
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

  const relay = await startOutboxRelay({ db, databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL, prefix, onError: (e) => log(`outbox relay: ${e instanceof Error ? e.message : String(e)}`) });

  const connection = () => createRedisConnection(env.REDIS_URL, { forWorker: true });
  const outboxWorker = new Worker(
    QUEUES.outbox,
    async (job: Job) => {
      const event = outboxEventPayload.parse(job.data);
      // A rollback is a one-off action on the live node, not desired state to converge.
      if (event.topic === "site.rollback") return runRollback({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET }, event.outboxId);
      if (event.topic === "site.move") return runMove({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, withLeases, log }, event.outboxId);
      return handleOutboxEvent(db, event, (ids) => enqueue(ids), enqueueAll);
    },
    { connection: connection(), prefix, concurrency: 8 },
  );

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

  // The balancer logs an unchanged situation once, not every round.
  const balancerMemo = {};
  const schedulesWorker = new Worker(
    QUEUES.schedules,
    async (job: Job) => {
      if (job.name === SCHEDULES.heartbeat.id) {
        await collectHeartbeats(db, env.SHOAL_CLUSTER_SECRET, (nodeId) => enqueue([nodeId], true), { degradedAfterMs: env.SHOAL_DEGRADED_AFTER_MS, deadAfterMs: env.SHOAL_DEAD_AFTER_MS });
      } else if (job.name === SCHEDULES.balance.id) {
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
      } else if (job.name === SCHEDULES.sweep.id) {
        await sweep(db, enqueue);
      } else if (job.name === SCHEDULES.snapshots.id) {
        const counts = await reconcileQueue.getJobCounts("active", "waiting", "prioritized");
        const busy = (counts.active ?? 0) + (counts.waiting ?? 0) + (counts.prioritized ?? 0) > 0;
        await takeDueSnapshots(db, env.SHOAL_CLUSTER_SECRET, { log, busy });
      }
    },
    { connection: connection(), prefix, concurrency: 3 },
  );
  for (const s of Object.values(SCHEDULES)) {
    await schedulesQueue.upsertJobScheduler(s.id, { every: s.every }, { name: s.id, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }
  log(`control worker started (balancer ${env.SHOAL_BALANCER})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing the jobs in hand`);
    await Promise.allSettled([outboxWorker.close(), reconcileWorker.close(), schedulesWorker.close()]);
    await relay.stop();
    await Promise.allSettled([reconcileQueue.close(), schedulesQueue.close()]);
    producer.disconnect();
    lockRedis.disconnect();
    await db.$disconnect();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
