import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Db } from "../../db";
import { evaluateControlPlane, lagQueues, type ControlPlaneHealth, type HealthFacts } from "../../domain/control-plane-health";
import { QUEUES } from "../../jobs/queues";
import { SCHEDULES } from "../../jobs/schedules";

// The control plane's health as the panel, /api/health and both /metrics see it: facts from
// Postgres (which workers are alive, when each schedule last ran) and from Redis (do the
// schedules exist, how long has the oldest job waited), each read with a short time limit so a
// store that hangs is reported, never waited on. The verdict is server/domain/control-plane-health.ts.

export type HealthSources = {
  db: Db;
  /** A connection that fails fast (createRedisConnection with forWorker: false). */
  redis: Redis;
  /** The control workers' BullMQ prefix. */
  prefix: string;
};

/** How long one store may take to answer before it counts as unreachable. */
const answerWithinMs = 1_500;

function within<T>(p: Promise<T>, ms = answerWithinMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), ms)))]).finally(() => clearTimeout(timer));
}

// Queue handles per connection and prefix, made once: they only read.
const queueCache = new WeakMap<Redis, Map<string, Queue>>();
function queue(src: HealthSources, name: string): Queue {
  let byName = queueCache.get(src.redis);
  if (!byName) queueCache.set(src.redis, (byName = new Map<string, Queue>()));
  const key = `${src.prefix}\u0000${name}`;
  let q = byName.get(key);
  if (!q) {
    q = new Queue(name, { connection: src.redis, prefix: src.prefix });
    q.on("error", () => undefined);
    byName.set(key, q);
  }
  return q;
}

/** A fail-fast connection refuses commands until it is connected: a first check waits for that (within its limit). */
function untilReady(redis: Redis): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => redis.once("ready", () => resolve()));
}

async function postgresFacts(db: Db): Promise<Pick<HealthFacts, "database" | "workers" | "scheduleRuns">> {
  try {
    const [workers, runs] = await within(
      Promise.all([
        db.controlWorker.findMany({ orderBy: { lastSeenAt: "desc" }, take: 50, select: { id: true, startedAt: true, lastSeenAt: true, suspectAfterMs: true, redisPersistence: true } }),
        db.scheduleRun.findMany({ select: { id: true, lastRunAt: true, everyMs: true } }),
      ]),
    );
    return {
      database: true,
      workers: workers.map((w) => ({ ...w, startedAt: w.startedAt.getTime(), lastSeenAt: w.lastSeenAt.getTime() })),
      scheduleRuns: runs.map((r) => ({ ...r, lastRunAt: r.lastRunAt.getTime() })),
    };
  } catch {
    return { database: false, workers: [], scheduleRuns: [] };
  }
}

async function redisFacts(src: HealthSources, now: number): Promise<Pick<HealthFacts, "redis" | "schedulers" | "oldestWaitingMs">> {
  try {
    await within(untilReady(src.redis).then(() => src.redis.ping()));
    const schedulers: Record<string, boolean> = {};
    await within(
      Promise.all(
        Object.values(SCHEDULES).map(async (s) => {
          const q = queue(src, s.id === SCHEDULES.heartbeat.id ? QUEUES.heartbeat : QUEUES.schedules);
          schedulers[s.id] = (await q.getJobScheduler(s.id)) !== undefined;
        }),
      ),
    );
    const oldestWaitingMs: Record<string, number | null> = {};
    await within(
      Promise.all(
        lagQueues.map(async (name) => {
          // The oldest of each list ("prioritized" jobs wait too); a delayed job waits from when it became due.
          const heads = await queue(src, name).getJobs(["wait", "prioritized"], 0, 0, true);
          const since = heads.map((j) => j.timestamp + (j.delay ?? 0));
          oldestWaitingMs[name] = since.length > 0 ? Math.max(0, now - Math.min(...since)) : null;
        }),
      ),
    );
    return { redis: true, schedulers, oldestWaitingMs };
  } catch {
    return { redis: false, schedulers: null, oldestWaitingMs: null };
  }
}

export async function readControlPlaneHealth(src: HealthSources, now = Date.now()): Promise<ControlPlaneHealth> {
  const [pg, rd] = await Promise.all([postgresFacts(src.db), redisFacts(src, now)]);
  return evaluateControlPlane({ now, ...pg, ...rd });
}
