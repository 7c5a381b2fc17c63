import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { QUEUES } from "../../../server/jobs/queues";
import { SCHEDULES } from "../../../server/jobs/schedules";
import { waitFor } from "../../../worker/agent/wait-for";
import { startThrowawayRedis, type ThrowawayRedis } from "../../helpers/throwaway-redis";

// A real control worker (worker/control/main.ts, as npm start runs it) on a Redis of this file's
// own (a redis-server without persistence on a free loopback port, never the shared one). Redis is
// emptied twice, by FLUSHALL and by a restart with nothing kept: each time the worker's keeper
// puts the schedules back within its period, the heartbeat ticks again, and an outbox event that
// was published but never handled (its job lived only in Redis) is published and handled again.
// Prints the time to heal: from the wipe to the schedules back and to the first heartbeat tick.

const root = path.resolve(import.meta.dirname, "../../..");
const keeperMs = 2_000;
const prefix = `itest-wipe-${process.pid}`;
let throwaway: ThrowawayRedis | undefined;
let worker: ChildProcess | null = null;
let workerLog = "";
let redis: Redis;
let queues: { heartbeat: Queue; schedules: Queue };

const schedulesPresent = async () => {
  const found = await Promise.all(
    Object.values(SCHEDULES).map((s) => (s.id === SCHEDULES.heartbeat.id ? queues.heartbeat : queues.schedules).getJobScheduler(s.id).catch(() => undefined)),
  );
  return found.every((s) => s !== undefined);
};
const heartbeatRunAt = async () => (await db.scheduleRun.findUnique({ where: { id: SCHEDULES.heartbeat.id } }))?.lastRunAt.getTime() ?? 0;

/** Empties Redis by `wipe`, then times the schedules' return and the first heartbeat tick after it. */
async function healAfter(what: string, wipe: () => Promise<void>): Promise<{ schedulesMs: number; heartbeatMs: number }> {
  const wipedAt = Date.now();
  await wipe();
  let schedulesMs = -1;
  let heartbeatMs = -1;
  await waitFor(`the schedules and the heartbeat after ${what}`, async () => {
    if (schedulesMs < 0 && (await schedulesPresent())) schedulesMs = Date.now() - wipedAt;
    if (heartbeatMs < 0 && (await heartbeatRunAt()) > wipedAt) heartbeatMs = Date.now() - wipedAt;
    return schedulesMs >= 0 && heartbeatMs >= 0;
  }, { timeoutMs: 20_000, intervalMs: 20 });
  console.log(`time to heal from ${what}: schedules back after ${schedulesMs} ms, first heartbeat tick after ${heartbeatMs} ms (keeper period ${keeperMs} ms)`);
  return { schedulesMs, heartbeatMs };
}

/** An outbox row whose job was in Redis when it was wiped: published, never handled. */
const lostEvent = () =>
  db.outboxEvent.create({ data: { topic: "settings.changed", aggregateType: "PlatformSettings", aggregateId: "1", publishedAt: new Date() } });

beforeAll(async () => {
  throwaway = await startThrowawayRedis();
  const url = throwaway.url;
  redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => undefined);
  queues = { heartbeat: new Queue(QUEUES.heartbeat, { connection: redis, prefix }), schedules: new Queue(QUEUES.schedules, { connection: redis, prefix }) };
  queues.heartbeat.on("error", () => undefined);
  queues.schedules.on("error", () => undefined);
  // No /metrics server for this worker.
  const { SHOAL_METRICS_PORT: _unused, ...workerEnv } = process.env;
  worker = spawn(process.execPath, ["--import", "tsx", "worker/control/main.ts"], {
    cwd: root,
    env: { ...workerEnv, REDIS_URL: url, SHOAL_QUEUE_PREFIX: prefix, SHOAL_KEEPER_MS: String(keeperMs), SHOAL_BALANCER: "off" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  worker.stdout!.on("data", (c: Buffer) => (workerLog += c.toString()));
  worker.stderr!.on("data", (c: Buffer) => (workerLog += c.toString()));
  await waitFor("the control worker's first heartbeat tick", async () => {
    if (worker!.exitCode !== null) throw new Error(`the worker exited:\n${workerLog}`);
    return (await heartbeatRunAt()) > 0 && (await db.controlWorker.count()) === 1;
  }, { timeoutMs: 60_000 });
}, 90_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker!.once("exit", r));
    worker.kill("SIGTERM");
    await exited;
  }
  await Promise.allSettled([queues?.heartbeat.close(), queues?.schedules.close()]);
  redis?.disconnect();
  await throwaway?.stop();
});

describe("a Redis that comes back empty", () => {
  it("says it is alive in Postgres, and that its Redis keeps nothing across a restart", async () => {
    const row = await db.controlWorker.findFirstOrThrow();
    expect(row.pid).toBe(worker!.pid);
    expect(row.suspectAfterMs).toBe(1500);
    await waitFor("the persistence check", async () => (await db.controlWorker.findFirstOrThrow()).redisPersistence === "none", { timeoutMs: 10_000 });
    expect(workerLog).toMatch(/Redis keeps no data across a restart/);
  });

  it("FLUSHALL: the schedules and the heartbeat are back within a keeper period, and a lost outbox event is handled", async () => {
    const lost = await lostEvent();
    const healed = await healAfter("FLUSHALL", async () => {
      await redis.flushall();
    });
    // One keeper period, plus the round itself (a few Redis and Postgres calls), plus the first
    // tick (every 500 ms) for the heartbeat.
    expect(healed.schedulesMs).toBeLessThanOrEqual(keeperMs + 2_000);
    expect(healed.heartbeatMs).toBeLessThanOrEqual(keeperMs + 2_500);
    await waitFor("the lost outbox event to be handled", async () => (await db.outboxEvent.findUniqueOrThrow({ where: { id: lost.id } })).handledAt !== null, { timeoutMs: 15_000 });
    // Re-created once, at the wipe: a round that finds them in place writes nothing.
    await new Promise((r) => setTimeout(r, 2 * keeperMs));
    expect(workerLog.match(/schedules missing or stalled in Redis, re-created: /g)).toHaveLength(1);
    expect(workerLog).toMatch(/Redis holds no control-plane marker .*1 unhandled outbox event\(s\) published again/);
  });

  it("a restart with nothing kept: the same, once the worker has reconnected", async () => {
    const lost = await lostEvent();
    const healed = await healAfter("a restart of Redis without persistence", async () => {
      await throwaway!.restart();
    });
    // Reconnecting adds ioredis's backoff to the keeper's period.
    expect(healed.heartbeatMs).toBeLessThanOrEqual(keeperMs + 5_000);
    await waitFor("the lost outbox event to be handled", async () => (await db.outboxEvent.findUniqueOrThrow({ where: { id: lost.id } })).handledAt !== null, { timeoutMs: 15_000 });
  });

  it("a clean stop removes the worker's liveness row", async () => {
    const exited = new Promise((r) => worker!.once("exit", r));
    worker!.kill("SIGTERM");
    await exited;
    expect(await db.controlWorker.count()).toBe(0);
  });
});
