import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import type { Actor } from "../../../server/services/actor";
import { recordChange } from "../../../server/services/audit/record-change";
import { outboxEventPayload, outboxJobId } from "../../../server/jobs/outbox-event";
import { QUEUES, createRedisConnection } from "../../../server/jobs/queues";
import { startOutboxRelay } from "../../../worker/control/outbox-relay";
import { makeWorld } from "../../helpers/fixtures";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `shoal-test-${randomBytes(6).toString("hex")}`;
const redis = createRedisConnection(REDIS_URL, { forWorker: false });
const queue = new Queue(QUEUES.outbox, { connection: redis, prefix });
let resellerId: string;
const actor = { userId: null, email: "relay-test@example.com", impersonatorId: null, ip: null } as unknown as Actor;

async function until<T>(check: () => Promise<T | false | null | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function change(targetId: string) {
  await db.$transaction(async (tx) => {
    await recordChange(tx, actor, {
      action: "site.create",
      targetType: "Site",
      targetId,
      resellerId,
      outbox: { topic: "site.reconcile" },
    });
  });
}

const relayOpts = (redisUrl = REDIS_URL) => ({
  db,
  databaseUrl: process.env.DATABASE_URL!,
  redisUrl,
  prefix,
  onError: () => {},
});

beforeAll(async () => {
  resellerId = (await makeWorld()).resellerA.id;
});

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
});

async function unpublishedCount() {
  return db.outboxEvent.count({ where: { publishedAt: null } });
}

describe("outbox relay", () => {
  it("publishes a committed change within about a second, woken by NOTIFY", async () => {
    // A long poll interval proves the wake-up came from NOTIFY, not the fallback.
    const relay = await startOutboxRelay({ ...relayOpts(), pollMs: 60_000 });
    try {
      const started = Date.now();
      await change("site-notify");
      const row = await until(() => db.outboxEvent.findFirst({ where: { aggregateId: "site-notify", publishedAt: { not: null } } }), 1500);
      expect(Date.now() - started).toBeLessThan(1500);
      const job = await until(() => queue.getJob(outboxJobId(row.id.toString())));
      expect(outboxEventPayload.parse(job.data)).toEqual({
        outboxId: row.id.toString(),
        topic: "site.reconcile",
        aggregateType: "Site",
        aggregateId: "site-notify",
      });
      expect(job.opts.attempts).toBeGreaterThan(1);
      expect(job.opts.backoff).toMatchObject({ type: "exponential" });
    } finally {
      await relay.stop();
    }
  });

  it("publishes nothing for a rolled-back transaction", async () => {
    const relay = await startOutboxRelay({ ...relayOpts(), pollMs: 50 });
    try {
      const before = await queue.getJobCountByTypes("waiting", "delayed", "active", "completed", "failed");
      await expect(
        db.$transaction(async (tx) => {
          await recordChange(tx, actor, { action: "site.create", targetType: "Site", targetId: "site-rollback", resellerId, outbox: { topic: "site.reconcile" } });
          throw new Error("abort");
        }),
      ).rejects.toThrow("abort");
      // A later committed change is published; by then the rolled-back one would have been too.
      await change("site-after-rollback");
      await until(() => db.outboxEvent.findFirst({ where: { aggregateId: "site-after-rollback", publishedAt: { not: null } } }));
      expect(await db.outboxEvent.count({ where: { aggregateId: "site-rollback" } })).toBe(0);
      const after = await queue.getJobCountByTypes("waiting", "delayed", "active", "completed", "failed");
      expect(after - before).toBe(1);
    } finally {
      await relay.stop();
    }
  });

  it("two relays at once publish each row exactly once", async () => {
    const before = await queue.getJobCountByTypes("waiting", "delayed", "active", "completed", "failed");
    const [r1, r2] = await Promise.all([startOutboxRelay({ ...relayOpts(), pollMs: 20 }), startOutboxRelay({ ...relayOpts(), pollMs: 20 })]);
    try {
      // 250 commits while both relays poll, from 10 writers at a time: the race under test is the
      // relays', and 250 interactive transactions opened at once would only queue for the pool's
      // few connections (and time out waiting on a busy machine).
      await Promise.all(
        Array.from({ length: 10 }, async (_, w) => {
          for (let i = w; i < 250; i += 10) await change(`site-pair-${i}`);
        }),
      );
      await until(async () => (await unpublishedCount()) === 0, 10_000);
      const after = await queue.getJobCountByTypes("waiting", "delayed", "active", "completed", "failed");
      expect(after - before).toBe(250);
      // jobId deduplication would hide a double publish from the count; the event stream does not.
      const events = await redis.xrange(`${prefix}:${QUEUES.outbox}:events`, "-", "+");
      expect(events.filter(([, f]) => f.includes("duplicated"))).toHaveLength(0);
    } finally {
      await Promise.all([r1.stop(), r2.stop()]);
    }
  });

  it("keeps rows while Redis is unreachable and publishes them once it is back", async () => {
    let failures = 0;
    const down = await startOutboxRelay({
      ...relayOpts("redis://127.0.0.1:1"),
      pollMs: 50,
      publishTimeoutMs: 300,
      onError: () => void failures++,
    });
    try {
      await change("site-redis-down");
      // Wait for failed passes after the change was committed, not for a fixed time.
      const seen = failures;
      await until(async () => failures >= seen + 2);
      const row = await db.outboxEvent.findFirstOrThrow({ where: { aggregateId: "site-redis-down" } });
      expect(row.publishedAt).toBeNull();
      expect(await queue.getJob(outboxJobId(row.id.toString()))).toBeUndefined();
    } finally {
      await down.stop();
    }
    const up = await startOutboxRelay({ ...relayOpts(), pollMs: 50 });
    try {
      const row = await until(() => db.outboxEvent.findFirst({ where: { aggregateId: "site-redis-down", publishedAt: { not: null } } }));
      expect(await queue.getJob(outboxJobId(row.id.toString()))).toBeDefined();
    } finally {
      await up.stop();
    }
  });
});
