import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

// One holder at a time across every worker process (a node's reconcile, a schedule's round): a
// Redis lease (SET NX PX) renewed while the work runs and released only by its owner. A worker
// killed with -9 stops renewing, so its lease lapses after `leaseMs` and another takes over.

const release = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
// A holder whose key has vanished (Redis restarted empty under it) takes it back at its next
// renewal: it is still doing the work, and another worker may only slip in for that long.
const renew = `local v = redis.call("get", KEYS[1])
if v == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) end
if not v then redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2]) return 1 end
return 0`;

export type Lease = { lost: () => boolean; release(): Promise<void> };

export async function tryLease(redis: Redis, key: string, leaseMs = 10_000): Promise<Lease | null> {
  const token = randomBytes(12).toString("hex");
  if ((await redis.set(key, token, "PX", leaseMs, "NX")) !== "OK") return null;
  let lost = false;
  const timer = setInterval(() => {
    redis.eval(renew, 1, key, token, String(leaseMs)).then(
      (r) => { if (r !== 1) lost = true; },
      () => {},
    );
  }, Math.floor(leaseMs / 3));
  timer.unref();
  return {
    lost: () => lost,
    async release() {
      clearInterval(timer);
      await redis.eval(release, 1, key, token).catch(() => {});
    },
  };
}

/** A cluster-wide lease's Redis key under the worker's queue prefix. */
export const leaseKey = (prefix: string, name: string) => `${prefix}:lease:${name}`;

export type LeasedRun = {
  /** Lapses after this long if the holder dies without releasing it. */
  ttlMs: number;
  /**
   * Set where nothing watches the job's failure (schedules): the error is said here and the run
   * ends normally. Without it the error is thrown to the caller.
   */
  onError?: (e: unknown) => void;
};

/**
 * Runs `fn` holding the lease, or skips it (undefined) when another worker holds it: the holder's
 * run does the work. The lease is released however `fn` ends.
 */
export async function underLease<T>(redis: Redis, key: string, run: LeasedRun, fn: () => Promise<T>): Promise<T | undefined> {
  const lease = await tryLease(redis, key, run.ttlMs);
  if (!lease) return undefined;
  try {
    return await fn();
  } catch (e) {
    if (!run.onError) throw e;
    run.onError(e);
    return undefined;
  } finally {
    await lease.release();
  }
}

/**
 * Waits for, then holds, the reconcile leases of these nodes while `fn` runs, taken in sorted
 * order so two callers never deadlock; gives up after `waitMs` on any one node.
 */
export function reconcileLeases(redis: Redis, prefix: string, waitMs = 60_000) {
  return async <T>(nodeIds: string[], fn: () => Promise<T>): Promise<T> => {
    const held: Lease[] = [];
    try {
      for (const nodeId of [...new Set(nodeIds)].sort()) held.push(await waitForLease(redis, reconcileLeaseKey(prefix, nodeId), waitMs, nodeId));
      return await fn();
    } finally {
      await Promise.all(held.map((l) => l.release()));
    }
  };
}

export const reconcileLeaseKey = (prefix: string, nodeId: string) => leaseKey(prefix, `reconcile:${nodeId}`);

async function waitForLease(redis: Redis, key: string, waitMs: number, nodeId: string): Promise<Lease> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lease = await tryLease(redis, key);
    if (lease) return lease;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for node ${nodeId}'s reconcile to finish.`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
