import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as healthRoute } from "../../../app/api/health/route";
import { db } from "../../../server/db";
import { QUEUES } from "../../../server/jobs/queues";
import { SCHEDULES } from "../../../server/jobs/schedules";
import { answerHealthCheck } from "../../../server/observability/health-endpoint";
import { scrapePanelMetrics } from "../../../server/observability/panel-metrics";
import { readControlPlaneHealth } from "../../../server/services/health/read-control-plane-health";
import { callerFor, makeWorld } from "../../helpers/fixtures";

// GET /api/health both ways, on this file's own database and queue prefix (real Postgres and
// Redis): a control plane with no worker is 503, one with a live worker, fresh schedule runs and
// its schedulers in Redis is 200; then a stale heartbeat tick and a missing schedule make it 503
// again. Who asks decides how much is said: a caller from elsewhere gets the verdict per check
// only. The admin's procedure, the node list and the panel's /metrics carry the same verdict.

const prefix = process.env.SHOAL_QUEUE_PREFIX!;
let redis: Redis;
let queues: { heartbeat: Queue; schedules: Queue };
let world: Awaited<ReturnType<typeof makeWorld>>;

type Body = { status: string; checks: Record<string, Record<string, unknown>>; problems?: string[] };

async function health(headers: Record<string, string>, token?: string): Promise<{ status: number; body: Body; text: string }> {
  const res = token === undefined ? await healthRoute(new Request("http://panel.test/api/health", { headers })) : await answerHealthCheck(new Headers(headers), { token });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Body, text };
}
const fromLoopback = { "x-forwarded-for": "127.0.0.1" };
const fromElsewhere = { "x-forwarded-for": "198.51.100.7" };
const token = "health-token-0123456789abcdef";

const queueOf = (id: string) => (id === SCHEDULES.heartbeat.id ? queues.heartbeat : queues.schedules);

/** What a running control worker leaves behind: its row, each schedule's last run, the schedulers. */
async function aliveControlPlane(): Promise<void> {
  const now = new Date();
  await db.controlWorker.create({ data: { id: "itest-host:1234:abcdef", host: "itest-host", pid: 1234, lastSeenAt: now, suspectAfterMs: 1500, redisPersistence: "aof" } });
  for (const s of Object.values(SCHEDULES)) {
    await db.scheduleRun.create({ data: { id: s.id, lastRunAt: now, everyMs: s.every } });
    // Far in the future, so no job of them is waiting during the test (no worker takes them here).
    await queueOf(s.id).upsertJobScheduler(s.id, { every: 3_600_000, startDate: Date.now() + 3_600_000 }, { name: s.id });
  }
}

beforeAll(async () => {
  world = await makeWorld();
  redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
  queues = { heartbeat: new Queue(QUEUES.heartbeat, { connection: redis, prefix }), schedules: new Queue(QUEUES.schedules, { connection: redis, prefix }) };
});

afterAll(async () => {
  await Promise.allSettled([queues.heartbeat.obliterate({ force: true }), queues.schedules.obliterate({ force: true })]);
  await Promise.allSettled([queues.heartbeat.close(), queues.schedules.close()]);
  redis.disconnect();
});

describe("GET /api/health", () => {
  it("no control worker has ever run: 503, with what is wrong for a loopback caller and only the verdicts for others", async () => {
    const local = await health(fromLoopback);
    expect(local.status).toBe(503);
    expect(local.body.status).toBe("failing");
    expect(local.body.checks.database!.ok).toBe(true);
    expect(local.body.checks.redis!.ok).toBe(true);
    expect(local.body.checks.controlWorkers).toMatchObject({ ok: false, alive: 0 });
    expect(local.body.checks.heartbeat).toMatchObject({ ok: false, tickAgeSec: null });
    expect(local.body.checks.schedules!.missing).toEqual(Object.values(SCHEDULES).map((s) => s.id));
    expect(local.body.problems).toContain("No control worker has ever reported in.");
    expect(local.body.problems).toContain("The heartbeat has never ticked: node failures are not detected.");

    const remote = await health(fromElsewhere);
    expect(remote.status).toBe(503);
    expect(remote.body).toEqual({
      status: "failing",
      checks: { database: { ok: true }, redis: { ok: true }, controlWorkers: { ok: false }, heartbeat: { ok: false }, schedules: { ok: false }, queueLag: { ok: true } },
    });
    // The metrics token opens the figures from anywhere; a wrong one does not.
    expect((await health(fromElsewhere, token)).body.problems).toBeUndefined();
    expect((await health({ ...fromElsewhere, authorization: `Bearer ${token}` }, token)).body.problems).toContain("No control worker has ever reported in.");
    expect((await health({ ...fromElsewhere, authorization: "Bearer wrong-token-0123456789" }, token)).body.problems).toBeUndefined();
  });

  it("a live worker, fresh schedule runs, every scheduler in Redis: 200", async () => {
    await aliveControlPlane();
    const local = await health(fromLoopback);
    expect(local.body.problems).toEqual([]);
    expect(local.status).toBe(200);
    expect(local.body.status).toBe("ok");
    expect(local.body.checks.controlWorkers).toMatchObject({ ok: true, alive: 1 });
    expect(local.body.checks.redis).toEqual({ ok: true, persistence: "aof" });
    const remote = await health(fromElsewhere);
    expect(remote.status).toBe(200);
    expect(remote.text).not.toMatch(/itest-host|1234/);
  });

  it("the heartbeat stops ticking and a schedule vanishes from Redis: 503 saying both; the banner, the node list and /metrics agree", async () => {
    await db.scheduleRun.update({ where: { id: SCHEDULES.heartbeat.id }, data: { lastRunAt: new Date(Date.now() - 60_000) } });
    await queues.schedules.removeJobScheduler(SCHEDULES.sweep.id);
    // A node last heard 40 s ago still carries HEALTHY: it is shown silent, not healthy.
    await db.node.create({ data: { name: "itest-silent", address: "127.0.33.1", status: "HEALTHY", lastHeartbeatAt: new Date(Date.now() - 40_000) } });

    const local = await health(fromLoopback);
    expect(local.status).toBe(503);
    expect(local.body.problems).toEqual([
      expect.stringMatching(/^No heartbeat tick for 6\d s: node failures are not detected/),
      "Schedules missing in Redis: sweep.",
    ]);
    expect((await health(fromElsewhere)).body.checks).toMatchObject({ heartbeat: { ok: false }, schedules: { ok: false }, controlWorkers: { ok: true } });

    const asAdmin = callerFor(world.users.admin);
    const banner = await asAdmin.cluster.getHealth();
    expect(banner.ok).toBe(false);
    expect(banner.problems).toEqual(local.body.problems);
    const nodes = await asAdmin.node.list({ limit: 50 });
    const silent = nodes.items.find((n) => n.name === "itest-silent")!;
    expect(silent.status).toBe("HEALTHY");
    expect(silent.silentSec).toBeGreaterThanOrEqual(40);
    expect(nodes.summary.silent).toBe(1);
    expect(nodes.summary.byStatus.HEALTHY).toBe(0);
    const map = await asAdmin.cluster.getMap();
    expect(map.nodes.find((n) => n.name === "itest-silent")!.silentSec).toBeGreaterThanOrEqual(40);

    const scrape = await (await scrapePanelMetrics(new Headers(fromLoopback))).text();
    expect(scrape).toMatch(/^shoal_control_plane_healthy 0$/m);
    expect(scrape).toMatch(/^shoal_control_plane_check_ok\{check="heartbeat"\} 0$/m);
    expect(scrape).toMatch(/^shoal_schedule_present\{schedule="sweep"\} 0$/m);
    expect(scrape).toMatch(/^shoal_control_workers_alive 1$/m);
    expect(scrape).toMatch(/^shoal_heartbeat_tick_age_seconds 6\d$/m);
    expect(scrape).toMatch(/^shoal_redis_persistent 1$/m);
  });

  it("Redis unreachable: said as such, within the check's time limit", async () => {
    // A port nothing listens on (this file's own loopback address).
    const gone = new Redis(6399, "127.0.33.2", { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    gone.on("error", () => undefined);
    const started = Date.now();
    const h = await readControlPlaneHealth({ db, redis: gone, prefix });
    gone.disconnect();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(h.ok).toBe(false);
    expect(h.checks.redis.ok).toBe(false);
    expect(h.problems).toContain("Redis cannot be reached: no job runs (heartbeats, failovers, changes to sites).");
  });

  it("only admins see the control plane's health", async () => {
    await expect(callerFor(world.users.customerA).cluster.getHealth()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
