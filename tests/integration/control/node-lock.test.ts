import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { tryLease } from "../../../worker/control/node-lock";
import { waitFor } from "../../../worker/agent/wait-for";

// A lease whose key vanishes under its holder (Redis restarted empty, a FLUSHALL) is taken back
// by the holder at its next renewal; a key another worker took meanwhile is never overwritten.
// On the shared Redis, under keys of this file's own.

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
const key = `itest-lease-${randomBytes(4).toString("hex")}`;

afterAll(async () => {
  await redis.del(key);
  redis.disconnect();
});

describe("tryLease", () => {
  it("a holder whose key vanished takes it back at its next renewal", async () => {
    const lease = (await tryLease(redis, key, 600))!;
    const token = await redis.get(key);
    await redis.del(key);
    await waitFor("the holder to take its key back", async () => (await redis.get(key)) === token, { timeoutMs: 2_000 });
    expect(lease.lost()).toBe(false);
    expect(await tryLease(redis, key, 600)).toBeNull();
    await lease.release();
    expect(await redis.exists(key)).toBe(0);
  });

  it("a key another worker took meanwhile is theirs: the first holder learns it lost the lease", async () => {
    const lease = (await tryLease(redis, key, 600))!;
    await redis.set(key, "someone-else", "PX", 5_000);
    await waitFor("the holder to see it lost the lease", () => lease.lost(), { timeoutMs: 2_000 });
    expect(await redis.get(key)).toBe("someone-else");
    await lease.release();
    expect(await redis.get(key)).toBe("someone-else");
  });
});
