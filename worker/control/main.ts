import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { createPrismaClient } from "../../server/db-client";
import { cappedBackoff } from "../../server/jobs/reconcile-node";
import { QUEUES, createRedisConnection } from "../../server/jobs/queues";
import { SCHEDULES } from "../../server/jobs/schedules";
import { errorFields, processLogger, toLog } from "../../server/observability/logger";
import { controlTransport } from "../../server/contract/agent-transport";
import { controlAddressesFrom, setControlAddresses } from "./control-addresses";
import { startControlMetrics } from "./control-metrics";
import { errorText, type ControlDeps } from "./control-deps";
import { loadControlEnv, type ControlEnv } from "./env";
import { heartbeatJob } from "./heartbeat-job";
import { reconcileLeases } from "./node-lock";
import { startNodeReadWorker } from "./node-read";
import { outboxHandlers, runOutboxJob } from "./outbox-jobs";
import { startOutboxRelay } from "./outbox-relay";
import { logReconcileFailure, reconcileEnqueuer, reconcileJob } from "./reconcile-job";
import { ensureSchedules, runScheduleJob, scheduleJobs, type ScheduleJobs } from "./schedule-jobs";
import { startScheduleKeeper, type ScheduleKeeper } from "./schedule-keeper";

// A control worker: the outbox relay, the outbox consumer (placement, fan-out), the per-node
// reconcile and the cluster schedules, in one process. Any number of them can run: the relay
// locks rows (SKIP LOCKED), reconciles take a per-node lease, schedules tick once cluster-wide.
// SIGTERM finishes the jobs in hand and exits; nothing is wiped at start.
// What each queue does lives in its job table (outbox-jobs.ts, schedule-jobs.ts,
// reconcile-job.ts, heartbeat-job.ts); this file only connects them.

type Connections = { producer: Redis; lockRedis: Redis; queues: { reconcile: Queue; schedules: Queue; heartbeat: Queue } };

function connect(env: ControlEnv): { deps: ControlDeps; conns: Connections } {
  setControlAddresses(controlAddressesFrom([env.DATABASE_URL, env.REDIS_URL], env.SHOAL_CONTROL_ADDRESSES));
  const db = createPrismaClient(env.DATABASE_URL, { poolSize: 10 });
  const prefix = env.SHOAL_QUEUE_PREFIX;
  // JSON lines on stdout (server/observability/logger.ts), ids as fields: log(msg, { siteId, ... }).
  const log = toLog(processLogger("control"));
  const producer = createRedisConnection(env.REDIS_URL, { forWorker: true });
  const lockRedis = createRedisConnection(env.REDIS_URL, { forWorker: true });
  const queues = {
    reconcile: new Queue(QUEUES.reconcile, { connection: producer, prefix }),
    schedules: new Queue(QUEUES.schedules, { connection: producer, prefix }),
    heartbeat: new Queue(QUEUES.heartbeat, { connection: producer, prefix }),
  };
  const enqueue = reconcileEnqueuer(queues.reconcile);
  const deps: ControlDeps = {
    env,
    db,
    log,
    prefix,
    lockRedis,
    reconcileQueue: queues.reconcile,
    enqueue,
    enqueueAll: async () => enqueue((await db.node.findMany({ select: { id: true } })).map((n) => n.id)),
    // A move pushes route tables itself; holding these nodes' reconcile leases meanwhile means no
    // reconcile can push a table read before the move's change.
    withLeases: reconcileLeases(lockRedis, prefix),
  };
  return { deps, conns: { producer, lockRedis, queues } };
}

function startWorkers(deps: ControlDeps, schedules: ScheduleJobs): Worker[] {
  const { env, prefix } = deps;
  const connection = () => createRedisConnection(env.REDIS_URL, { forWorker: true });
  const outbox = new Worker(QUEUES.outbox, runOutboxJob(deps.db, outboxHandlers(deps)), { connection: connection(), prefix, concurrency: 8 });
  // The panel's questions to a site's live node (previews, snapshot listings), answered at once.
  const nodeRead = startNodeReadWorker({ db: deps.db, clusterSecret: env.SHOAL_CLUSTER_SECRET }, { connection: connection(), prefix });
  const reconcile = new Worker(QUEUES.reconcile, reconcileJob(deps), {
    connection: connection(),
    prefix,
    concurrency: env.SHOAL_RECONCILE_CONCURRENCY,
    settings: { backoffStrategy: (attemptsMade: number) => cappedBackoff(attemptsMade) },
  });
  reconcile.on("failed", logReconcileFailure(deps.log));
  const heartbeat = new Worker(QUEUES.heartbeat, heartbeatJob(deps), { connection: connection(), prefix, concurrency: 2 });
  // A slot per schedule: a re-replication round streaming a new replica's first copy must not hold up the snapshots.
  const scheduled = new Worker(QUEUES.schedules, runScheduleJob(deps, schedules), { connection: connection(), prefix, concurrency: Object.keys(SCHEDULES).length });
  const workers = [outbox, nodeRead, reconcile, scheduled, heartbeat];
  // One line, not a stack: a job whose keys vanished (Redis restarted empty under it) is expected.
  for (const w of workers) w.on("error", (e) => deps.log(`${w.name} worker: ${errorText(e)}`));
  return workers;
}

async function registerRepeats(conns: Connections, schedules: ScheduleJobs): Promise<void> {
  const { queues } = conns;
  // The heartbeat once ran on the schedules queue; a scheduler left there would tick it twice.
  await queues.schedules.removeJobScheduler(SCHEDULES.heartbeat.id);
  // At start, as the keeper does every few seconds after (schedule-keeper.ts).
  await ensureSchedules(queues, schedules);
}

/** SIGTERM and SIGINT: the jobs in hand finish, then every connection closes and the process exits. */
function stopOnSignal(deps: ControlDeps, conns: Connections, workers: Worker[], relay: { stop(): Promise<void> }, keeper: ScheduleKeeper): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.log(`${signal}: finishing the jobs in hand`);
    await keeper.stop();
    await Promise.allSettled(workers.map((w) => w.close()));
    await relay.stop();
    await Promise.allSettled(Object.values(conns.queues).map((q) => q.close()));
    conns.producer.disconnect();
    conns.lockRedis.disconnect();
    await deps.db.$disconnect();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

async function main(): Promise<void> {
  const env = loadControlEnv();
  // The certificate every agent call presents (SHOAL_CLUSTER_TLS_DIR): missing, the worker stops
  // here with the file it lacks, not at its first call to a node.
  controlTransport();
  const { deps, conns } = connect(env);
  const relay = await startOutboxRelay({
    db: deps.db,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    prefix: deps.prefix,
    onError: (e) => processLogger("control").error(errorFields(e), `outbox relay: ${errorText(e)}`),
  });
  const schedules = scheduleJobs(deps);
  const workers = startWorkers(deps, schedules);
  await registerRepeats(conns, schedules);
  const keeper = startScheduleKeeper(deps, conns.queues, schedules, env.SHOAL_KEEPER_MS);
  // /metrics on loopback when SHOAL_METRICS_PORT is set (control-metrics.ts); job durations always.
  await startControlMetrics({ db: deps.db, redisUrl: env.REDIS_URL, prefix: deps.prefix, workers, log: deps.log });
  deps.log(`control worker started (balancer ${env.SHOAL_BALANCER})`);
  stopOnSignal(deps, conns, workers, relay, keeper);
}

main().catch((e: unknown) => {
  processLogger("control").fatal(errorFields(e), e instanceof Error ? e.message : String(e));
  process.exit(1);
});
