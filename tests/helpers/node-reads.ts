import { Queue } from "bullmq";
import { db } from "../../server/db";
import { closeNodeReads } from "../../server/jobs/node-read-request";
import { QUEUES, createRedisConnection } from "../../server/jobs/queues";
import { startNodeReadWorker } from "../../worker/control/node-read";

// The control worker's node-read consumer (worker/control/node-read.ts), in this test process, on
// this test file's queue prefix (tests/helpers/test-database.ts): a panel procedure that asks a
// node goes through real Redis and BullMQ to the worker's own code and back.

const redisUrl = () => process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export type NodeReads = { stop(): Promise<void> };

export async function startNodeReads(clusterSecret = process.env.SHOAL_CLUSTER_SECRET!): Promise<NodeReads> {
  const connection = createRedisConnection(redisUrl(), { forWorker: true });
  const worker = startNodeReadWorker({ db, clusterSecret }, { connection, prefix: process.env.SHOAL_QUEUE_PREFIX! });
  await worker.waitUntilReady();
  return {
    async stop() {
      await worker.close();
      connection.disconnect();
    },
  };
}

/** After the file: the panel's queue connections end and the file's queue keys go. */
export async function dropNodeReads(): Promise<void> {
  await closeNodeReads();
  const connection = createRedisConnection(redisUrl(), { forWorker: false });
  const queue = new Queue(QUEUES.nodeRead, { connection, prefix: process.env.SHOAL_QUEUE_PREFIX! });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
