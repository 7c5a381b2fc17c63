import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Db } from "../../server/db";
import type { Log } from "../../server/observability/logger";
import type { ControlEnv } from "./env";
import type { WithLeases } from "./publish-routes";

/** What the control worker's job handlers share: made once in main.ts, passed to each table. */
export type ControlDeps = {
  env: ControlEnv;
  db: Db;
  /** The worker's pino logger as log(msg, fields): ids (siteId, nodeId, operationId) go in the fields. */
  log: Log;
  /** BullMQ key prefix, also the prefix of the worker's Redis leases. */
  prefix: string;
  /** The connection leases are taken on (not a worker's: those block). */
  lockRedis: Redis;
  reconcileQueue: Queue;
  /** Queues a reconcile of each node (deduplicated per node; `force` resends an unchanged spec). */
  enqueue: (nodeIds: readonly string[], force?: boolean) => Promise<void>;
  enqueueAll: () => Promise<void>;
  withLeases: WithLeases;
};

export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
