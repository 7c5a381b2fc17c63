import type { Redis } from "ioredis";
import { db } from "../../db";
import type { ControlPlaneHealth } from "../../domain/control-plane-health";
import { env } from "../../env";
import { createRedisConnection } from "../../jobs/queues";
import { readControlPlaneHealth } from "./read-control-plane-health";

// The panel's view of the control plane's health: its own database, and a Redis connection of its
// own that fails fast (one per process; Next's dev server re-evaluates modules, hence the global).

const globalForHealth = globalThis as unknown as { shoalHealthRedis?: Redis };

function healthRedis(): Redis {
  if (!globalForHealth.shoalHealthRedis) {
    const redis = createRedisConnection(env.REDIS_URL, { forWorker: false });
    // Reconnects by itself; an unreachable Redis is a finding of the check, not a crash.
    redis.on("error", () => undefined);
    globalForHealth.shoalHealthRedis = redis;
  }
  return globalForHealth.shoalHealthRedis;
}

export function readPanelHealth(now = Date.now()): Promise<ControlPlaneHealth> {
  return readControlPlaneHealth({ db, redis: healthRedis(), prefix: env.SHOAL_QUEUE_PREFIX }, now);
}
