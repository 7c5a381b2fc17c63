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
  const wake = wakeSignal();
  const listener = notifyListener(opts.databaseUrl, wake, onError);

  const loop = (async () => {
    while (!wake.stopped) {
      await listener.ensure();
      wake.notified = false;
      try {
        const n = await publishBatch(opts.db, queue, publishTimeoutMs, onError);
        if (n === BATCH) continue;
        await wake.wait(pollMs, true);
      } catch (err) {
        if (wake.stopped) break;
        onError(err);
        await wake.wait(pollMs, false);
      }
    }
  })();

  return {
    async stop() {
      wake.stop();
      await loop;
      await listener.end();
      await queue.close().catch(() => {});
      redis.disconnect();
    },
  };
}

/** The relay's sleep between passes: cut short by a NOTIFY (when asked to) or by stop(). */
function wakeSignal() {
  let wake: (() => void) | null = null;
  const stopResolvers = new Set<() => void>();
  const state = {
    stopped: false,
    /** A NOTIFY arrived since the last pass began: the next sleep is skipped. */
    notified: false,
    signal() {
      state.notified = true;
      wake?.();
    },
    wait(ms: number, wakeOnNotify: boolean): Promise<void> {
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = null;
          stopResolvers.delete(done);
          resolve();
        }
        if (state.stopped || (wakeOnNotify && state.notified)) return done();
        wake = wakeOnNotify ? done : null;
        stopResolvers.add(done);
      });
    },
    stop() {
      state.stopped = true;
      for (const done of stopResolvers) done();
    },
  };
  return state;
}

/** LISTEN shoal_outbox on its own connection, (re)connected before each pass while it is down. */
function notifyListener(databaseUrl: string, wake: ReturnType<typeof wakeSignal>, onError: (err: unknown) => void) {
  let listener: pg.Client | null = null;
  return {
    async ensure(): Promise<void> {
      if (listener || wake.stopped) return;
      const client = new pg.Client({ connectionString: databaseUrl });
      client.on("error", (err) => {
        onError(err);
        if (listener === client) listener = null;
        client.end().catch(() => {});
      });
      client.on("notification", () => wake.signal());
      try {
        await client.connect();
        await client.query("LISTEN shoal_outbox");
        listener = client;
      } catch (err) {
        onError(err);
        await client.end().catch(() => {});
      }
    },
    async end(): Promise<void> {
      await listener?.end().catch(() => {});
    },
  };
}

/**
 * One batch of unpublished rows to BullMQ. The rows stay locked until commit, so a second relay
 * skips them; if Redis fails the transaction rolls back and the rows are published on a later
 * pass. A row whose topic no handler knows is said and marked published, so it cannot hold up
 * the rows behind it.
 */
async function publishBatch(db: Db, queue: Queue, publishTimeoutMs: number, onError: (err: unknown) => void): Promise<number> {
  return db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<Row[]>`
        SELECT "id", "topic", "aggregateType", "aggregateId" FROM "OutboxEvent"
        WHERE "publishedAt" IS NULL ORDER BY "id" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return 0;
      const skipped: bigint[] = [];
      const jobs = rows.flatMap((r) => {
        const data = outboxEventPayload.safeParse({ outboxId: r.id.toString(), topic: r.topic, aggregateType: r.aggregateType, aggregateId: r.aggregateId });
        if (!data.success) {
          onError(new Error(`outbox row ${r.id} (topic "${r.topic}") skipped: ${data.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`));
          skipped.push(r.id);
          return [];
        }
        return [{ name: OUTBOX_EVENT_JOB, data: data.data, opts: { ...outboxEventOptions, jobId: outboxJobId(data.data.outboxId) } }];
      });
      await withTimeout(queue.addBulk(jobs), publishTimeoutMs, "outbox relay: Redis publish timed out");
      const ids = rows.map((r) => r.id);
      // A skipped row is done with too: no handler will ever take it, even after a Redis wipe.
      await tx.$executeRaw`UPDATE "OutboxEvent" SET "publishedAt" = now(), "handledAt" = CASE WHEN "id" = ANY(${skipped}) THEN now() ELSE "handledAt" END WHERE "id" = ANY(${ids})`;
      return rows.length;
    },
    { timeout: publishTimeoutMs + 10_000 },
  );
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
