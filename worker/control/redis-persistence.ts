import type { Redis } from "ioredis";

/** How Redis keeps its data across a restart: "aof" (append-only file), "rdb" (snapshots only), "none", or null when it will not say. */
export type RedisPersistence = "aof" | "rdb" | "none" | null;

/**
 * Asks Redis how it persists. CONFIG may be refused (a managed Redis, a renamed command, an ACL):
 * that is null, not an error.
 */
export async function readRedisPersistence(redis: Redis): Promise<RedisPersistence> {
  try {
    const [aof, save] = await Promise.all([redis.config("GET", "appendonly"), redis.config("GET", "save")]);
    const value = (pair: unknown) => (Array.isArray(pair) && typeof pair[1] === "string" ? pair[1] : null);
    const appendonly = value(aof);
    const savePoints = value(save);
    if (appendonly === null || savePoints === null) return null;
    if (appendonly === "yes") return "aof";
    return savePoints.trim() !== "" ? "rdb" : "none";
  } catch {
    return null;
  }
}
