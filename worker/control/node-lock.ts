import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

// One active reconcile per node across every worker process: a Redis lease (SET NX PX) renewed
// while the reconcile runs and released only by its owner. A worker killed with -9 stops renewing,
// so its lease lapses after `leaseMs` and another worker takes the node over.

const release = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const renew = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

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
