import type { ControlDeps } from "./control-deps";

// Redis holds only queues and leases (docs/architecture.md, "When the control plane itself
// fails"), but a Redis that restarts empty loses the jobs that were waiting in it: outbox events
// published but not yet handled, queued reconciles, the schedules' next ticks. A marker key says
// that this Redis still holds what the control plane put there; a keeper round that finds it
// missing (a restart without persistence, a FLUSHALL, a new Redis) puts the lost work back from
// Postgres before setting it again.

/** Present while Redis holds what the control workers put there; gone after a wipe. */
export const redisMarkerKey = (prefix: string) => `${prefix}:control:marker`;

export type WipeRecovery = { recovered: false } | { recovered: true; republished: number };

/**
 * When the marker is missing: every outbox row published but not handled is published again (the
 * relay picks it up; handlers are idempotent and a job id already in Redis is not added twice),
 * and every node gets a reconcile. The marker is set only after that, so a worker that dies
 * half-way leaves the recovery to the next round; two workers recovering at once do the same
 * idempotent work twice.
 */
export async function recoverRedisWipe(deps: Pick<ControlDeps, "db" | "lockRedis" | "prefix" | "log" | "enqueueAll">): Promise<WipeRecovery> {
  const key = redisMarkerKey(deps.prefix);
  if ((await deps.lockRedis.exists(key)) === 1) return { recovered: false };
  const republished = await deps.db.$executeRaw`UPDATE "OutboxEvent" SET "publishedAt" = NULL WHERE "publishedAt" IS NOT NULL AND "handledAt" IS NULL`;
  await deps.enqueueAll();
  await deps.lockRedis.set(key, new Date().toISOString());
  deps.log(`Redis holds no control-plane marker (new, or restarted empty): ${republished} unhandled outbox event(s) published again, a reconcile of every node queued`, { republished });
  return { recovered: true, republished };
}
