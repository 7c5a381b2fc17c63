import { Queue, QueueEvents, type Job } from "bullmq";
import { env } from "../env";
import { AppError } from "../errors";
import { NODE_READ_JOB, nodeReadOptions, nodeReadReplies, nodeReadWorkMs, type NodeReadPayload, type NodeReadReply } from "./node-read";
import { QUEUES, createRedisConnection } from "./queues";

// The panel's side of the node-read queue (server/jobs/node-read.ts): add a job, wait for a
// control worker's answer. The panel never talks to a node itself (docs/architecture.md, "Panel").

type Channel = { queue: Queue; events: QueueEvents; ready: Promise<unknown>; close: () => Promise<void> };

// One queue and one event stream per process (Next's dev server re-evaluates modules, hence the global).
const globalForReads = globalThis as unknown as { shoalNodeReads?: Channel };

function channel(): Channel {
  if (!globalForReads.shoalNodeReads) {
    const prefix = env.SHOAL_QUEUE_PREFIX;
    // The producer fails fast (a customer is waiting); the event stream blocks on Redis, so it
    // must retry forever like a worker's connection.
    const producer = createRedisConnection(env.REDIS_URL, { forWorker: false });
    const listener = createRedisConnection(env.REDIS_URL, { forWorker: true });
    const queue = new Queue(QUEUES.nodeRead, { connection: producer, prefix });
    const events = new QueueEvents(QUEUES.nodeRead, { connection: listener, prefix });
    // An unheard 'error' event would end the process; a request that needed Redis reports it itself.
    queue.on("error", () => undefined);
    events.on("error", () => undefined);
    // The stream must be read before the job is added, or a fast answer would go unheard.
    const ready = events.waitUntilReady();
    ready.catch(() => undefined);
    const close = async () => {
      await Promise.allSettled([queue.close(), events.close()]);
      producer.disconnect();
      listener.disconnect();
    };
    globalForReads.shoalNodeReads = { queue, events, ready, close };
  }
  return globalForReads.shoalNodeReads;
}

const noQueue = () => new AppError("PRECONDITION_FAILED", "The panel cannot reach the control workers' queue right now; try again in a minute.");

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), ms)))]).finally(() => clearTimeout(timer));
}

const isWaitTimeout = (e: unknown) => e instanceof Error && /timed out before finishing/.test(e.message);

/**
 * Asks a control worker to read from the site's live node and returns its answer (checked against
 * the reply schema). No worker taking the job within SHOAL_NODE_READ_TIMEOUT_MS is a clear error
 * (and the job is withdrawn); a worker that has taken it gets the node call's own time limit.
 */
export async function askNode<P extends NodeReadPayload>(payload: P): Promise<NodeReadReply<P["kind"]>> {
  const pickupMs = env.SHOAL_NODE_READ_TIMEOUT_MS;
  const { queue, events, ready } = channel();
  let job: Job;
  try {
    await within(ready, pickupMs);
    job = await within(queue.add(NODE_READ_JOB, payload, nodeReadOptions), pickupMs);
  } catch {
    throw noQueue();
  }
  let answer: unknown;
  try {
    answer = await job.waitUntilFinished(events, pickupMs);
  } catch (e) {
    if (!isWaitTimeout(e)) throw workerFailed(e);
    const state = await job.getState().catch(() => "unknown");
    if (state !== "active") {
      // Nobody took it: withdraw it, so a worker that starts later does not read for no one.
      await job.remove().catch(() => undefined);
      throw new AppError(
        "PRECONDITION_FAILED",
        `No control worker answered within ${Math.round(pickupMs / 1000)} s, so the node could not be asked; try again in a minute (an operator may need to start the control workers).`,
      );
    }
    try {
      answer = await job.waitUntilFinished(events, nodeReadWorkMs[payload.kind]);
    } catch (e2) {
      if (!isWaitTimeout(e2)) throw workerFailed(e2);
      throw new AppError("PRECONDITION_FAILED", "The node that serves this site took too long to answer; try again in a minute.");
    }
  }
  const parsed = nodeReadReplies[payload.kind].safeParse(answer);
  if (!parsed.success) throw new AppError("INTERNAL", "The control worker's answer was not understood.");
  return parsed.data as NodeReadReply<P["kind"]>;
}

function workerFailed(e: unknown): AppError {
  return new AppError("INTERNAL", `The control worker could not read from the node: ${e instanceof Error ? e.message : String(e)}`);
}

/** For tests and shutdown: the queue's connections end. */
export async function closeNodeReads(): Promise<void> {
  const c = globalForReads.shoalNodeReads;
  globalForReads.shoalNodeReads = undefined;
  await c?.close();
}
