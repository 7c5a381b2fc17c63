import { randomBytes } from "node:crypto";
import os from "node:os";
import { errorText, type ControlDeps } from "./control-deps";
import { recoverRedisWipe } from "./recover-redis-wipe";
import { readRedisPersistence, type RedisPersistence } from "./redis-persistence";
import { ensureSchedules, type ScheduleJobs, type ScheduleQueues } from "./schedule-jobs";

// Every control worker, every few seconds (SHOAL_KEEPER_MS), makes sure the cluster can go on
// looking after itself whatever happened to Redis:
// - Redis restarted empty: the lost work is put back from Postgres (recover-redis-wipe.ts);
// - each schedule's job scheduler exists and ticks (ensureSchedules), so heartbeats, failure
//   detection, the sweep and snapshots resume within one round, without a worker restart;
// - this worker's ControlWorker row says it is alive (what the panel and /api/health read);
// - now and then, whether Redis persists its data (said in the log when it does not).
// A round that fails (Postgres or Redis away) says so once and the next round tries again.

/** Rows of workers not seen for this long are removed (a worker killed with -9 leaves its row). */
const forgetAfterMs = 3_600_000;
/** How often Redis's persistence is asked again (an operator may fix it while we run). */
const persistenceEveryMs = 60_000;

export type ScheduleKeeper = {
  /** This worker's ControlWorker id. */
  id: string;
  /** Runs one round now (the timer's rounds go on). */
  round(): Promise<void>;
  /** Stops the rounds and removes this worker's row: a clean stop is not a dead worker. */
  stop(): Promise<void>;
};

export function startScheduleKeeper(deps: ControlDeps, queues: ScheduleQueues, jobs: ScheduleJobs, periodMs: number): ScheduleKeeper {
  const { db, log, env } = deps;
  const id = `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const startedAt = new Date();
  let persistence: RedisPersistence | undefined;
  let persistenceAt = 0;
  const failures = new Map<string, string>();

  /** One part of a round; its failure is said when it first happens or changes, and when it clears. */
  const part = async (name: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      if (failures.delete(name)) log(`keeper: ${name} works again`);
    } catch (e) {
      const text = errorText(e);
      if (failures.get(name) !== text) log(`keeper: ${name} failed: ${text}`);
      failures.set(name, text);
    }
  };

  const checkPersistence = async () => {
    if (persistence !== undefined && Date.now() - persistenceAt < persistenceEveryMs) return;
    const found = await readRedisPersistence(deps.lockRedis);
    persistenceAt = Date.now();
    if (found !== persistence) {
      if (found === "none") log("Redis keeps no data across a restart (appendonly no, no save points): a restart empties the queues. The control workers rebuild them from Postgres, but configure appendonly yes (appendfsync everysec) as a production Redis should", { redisPersistence: found });
      else if (found === null) log("Redis did not say how it persists its data (CONFIG GET refused); make sure it runs with appendonly yes", { redisPersistence: found });
      else log(`Redis persists its data (${found})`, { redisPersistence: found });
    }
    persistence = found;
  };

  const round = async () => {
    await part("Redis wipe check", () => recoverRedisWipe(deps));
    await part("schedules", async () => {
      const created = await ensureSchedules(queues, jobs);
      if (created.length > 0) log(`schedules missing or stalled in Redis, re-created: ${created.join(", ")}`, { schedules: created });
    });
    await part("Redis persistence check", checkPersistence);
    await part("liveness row", async () => {
      const now = new Date();
      const row = { lastSeenAt: now, suspectAfterMs: env.SHOAL_SUSPECT_AFTER_MS, redisPersistence: persistence ?? null };
      await db.controlWorker.upsert({ where: { id }, create: { id, host: os.hostname(), pid: process.pid, startedAt, ...row }, update: row });
      await db.controlWorker.deleteMany({ where: { lastSeenAt: { lt: new Date(now.getTime() - forgetAfterMs) } } });
    });
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    running = round().finally(() => {
      if (!stopped) timer = setTimeout(loop, periodMs);
    });
  };
  loop();

  return {
    id,
    round,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await db.controlWorker.deleteMany({ where: { id } }).catch(() => undefined);
    },
  };
}
