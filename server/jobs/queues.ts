import { Redis } from "ioredis";

export const QUEUES = {
  outbox: "outbox",
  /** One job per node at a time (deduplicated by node id): converge its spec and route table. */
  reconcile: "reconcile",
  /** Repeating cluster schedules: heartbeats, the sweep. */
  schedules: "schedules",
} as const;

/** Workers block on Redis, so they must retry forever; producers fail fast so a caller can roll back. */
export function createRedisConnection(url: string, opts: { forWorker: boolean }): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: opts.forWorker ? null : 1,
    enableOfflineQueue: opts.forWorker,
  });
}
