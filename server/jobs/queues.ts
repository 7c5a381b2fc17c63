import { Redis } from "ioredis";

export const QUEUES = { outbox: "outbox" } as const;

/** Workers block on Redis, so they must retry forever; producers fail fast so a caller can roll back. */
export function createRedisConnection(url: string, opts: { forWorker: boolean }): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: opts.forWorker ? null : 1,
    enableOfflineQueue: opts.forWorker,
  });
}
