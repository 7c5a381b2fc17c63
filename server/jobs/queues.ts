import { Redis } from "ioredis";

export const QUEUES = {
  outbox: "outbox",
  /** One job per node at a time (deduplicated by node id): converge its spec and route table. */
  reconcile: "reconcile",
  /** Repeating cluster schedules: the sweep, snapshots, the balancer. */
  schedules: "schedules",
  /**
   * The heartbeat schedule alone: failure detection must tick twice a second even while the other
   * schedules wait on a node that hangs (a snapshot call to a frozen node holds its job for as
   * long as its timeout, and three such jobs would fill the schedules worker).
   */
  heartbeat: "heartbeat",
  /**
   * The panel's questions to a site's live node (a rollback preview, a snapshot listing): the
   * panel never talks to nodes, so it asks here and waits for a control worker's answer.
   */
  nodeRead: "node-read",
} as const;

/** Workers block on Redis, so they must retry forever; producers fail fast so a caller can roll back. */
export function createRedisConnection(url: string, opts: { forWorker: boolean }): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: opts.forWorker ? null : 1,
    enableOfflineQueue: opts.forWorker,
  });
}
