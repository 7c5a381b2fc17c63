import { Queue } from "bullmq";
import pg from "pg";
import type { Db } from "../../server/db";
import {
  OUTBOX_EVENT_JOB,
  outboxEventOptions,
  outboxEventPayload,
  outboxJobId,
} from "../../server/jobs/outbox-event";
import { QUEUES, createRedisConnection } from "../../server/jobs/queues";
import { errorFields, processLogger } from "../../server/observability/logger";

const BATCH = 100;

export type OutboxRelayOptions = {
  db: Db;
  databaseUrl: string;
  redisUrl: string;
  pollMs?: number;
  /** BullMQ key prefix; tests use their own so parallel files never share queues. */
  prefix?: string;
  publishTimeoutMs?: number;
  onError?: (err: unknown) => void;
};

type Row = { id: bigint; topic: string; aggregateType: string; aggregateId: string };

export async function startOutboxRelay(opts: OutboxRelayOptions): Promise<{ stop(): Promise<void> }> {
  const pollMs = opts.pollMs ?? 1000;
  const publishTimeoutMs = opts.publishTimeoutMs ?? 5000;
  const onError = opts.onError ?? ((err) => processLogger("control").error(errorFields(err), "outbox relay"));
  const redis = createRedisConnection(opts.redisUrl, { forWorker: false });
  redis.on("error", () => {}); // reconnects on its own; failures surface as rejected publishes
  const queue = new Queue(QUEUES.outbox, { connection: redis, prefix: opts.prefix });
  queue.on("error", () => {});

  let stopped = false;
  let wake: (() => void) | null = null;
  let notified = false;
  const signal = () => {
    notified = true;
    wake?.();
  };

  let listener: pg.Client | null = null;
  async function ensureListener(): Promise<void> {
    if (listener || stopped) return;
    const client = new pg.Client({ connectionString: opts.databaseUrl });
    client.on("error", (err) => {
      onError(err);
      if (listener === client) listener = null;
      client.end().catch(() => {});
    });
    client.on("notification", signal);
    try {
      await client.connect();
      await client.query("LISTEN shoal_outbox");
      listener = client;
    } catch (err) {
      onError(err);
      await client.end().catch(() => {});
    }
  }

  function waitFor(ms: number, wakeOnNotify: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        stopResolvers.delete(done);
        resolve();
      }
      if (stopped || (wakeOnNotify && notified)) return done();
      wake = wakeOnNotify ? done : null;
      stopResolvers.add(done);
    });
  }
  const stopResolvers = new Set<() => void>();

  // The rows stay locked until commit, so a second relay skips them; if Redis fails the
  // transaction rolls back and the rows are published on a later pass.
  async function publishBatch(): Promise<number> {
    return opts.db.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<Row[]>`
          SELECT "id", "topic", "aggregateType", "aggregateId" FROM "OutboxEvent"
          WHERE "publishedAt" IS NULL ORDER BY "id" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
        if (rows.length === 0) return 0;
        const jobs = rows.map((r) => {
          const data = outboxEventPayload.parse({
            outboxId: r.id.toString(),
            topic: r.topic,
            aggregateType: r.aggregateType,
            aggregateId: r.aggregateId,
          });
          return { name: OUTBOX_EVENT_JOB, data, opts: { ...outboxEventOptions, jobId: outboxJobId(data.outboxId) } };
        });
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            queue.addBulk(jobs),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error("outbox relay: Redis publish timed out")), publishTimeoutMs);
            }),
          ]);
        } finally {
          clearTimeout(timer);
        }
        const ids = rows.map((r) => r.id);
        await tx.$executeRaw`UPDATE "OutboxEvent" SET "publishedAt" = now() WHERE "id" = ANY(${ids})`;
        return rows.length;
      },
      { timeout: publishTimeoutMs + 10_000 },
    );
  }

  const loop = (async () => {
    while (!stopped) {
      await ensureListener();
      notified = false;
      try {
        const n = await publishBatch();
        if (n === BATCH) continue;
        await waitFor(pollMs, true);
      } catch (err) {
        if (stopped) break;
        onError(err);
        await waitFor(pollMs, false);
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      for (const done of stopResolvers) done();
      await loop;
      await listener?.end().catch(() => {});
      await queue.close().catch(() => {});
      redis.disconnect();
    },
  };
}
