import { db } from "../db";
import { AppError } from "../errors";

import { limits, type LimitRule } from "./attempt-limits";

export { limits, type LimitRule };

export type LimitedKey = { key: string; rule: LimitRule };

export const limitKeys = {
  loginAccount: (email: string): LimitedKey => ({ key: `login:account:${email.trim().toLowerCase()}`, rule: limits.loginAccount }),
  // Requests without a resolvable address share one bucket: they cannot dodge the limit by hiding it.
  loginIp: (ip: string | null): LimitedKey => ({ key: `login:ip:${ip ?? "unknown"}`, rule: limits.loginIp }),
  resetAccount: (email: string): LimitedKey => ({ key: `reset:account:${email.trim().toLowerCase()}`, rule: limits.resetAccount }),
  resetIp: (ip: string | null): LimitedKey => ({ key: `reset:ip:${ip ?? "unknown"}`, rule: limits.resetIp }),
};

export function tooManyAttempts(retryAt: Date, now = new Date()): AppError {
  const minutes = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 60_000));
  return new AppError("RATE_LIMITED", `Too many attempts, try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
}

/**
 * Counts one event against a fixed window in one atomic statement: a new window starts at 1 when
 * the old one has ended, so concurrent requests can never both read a stale count.
 */
export async function hit({ key, rule }: LimitedKey, now = new Date()): Promise<{ count: number; resetAt: Date }> {
  const resetAt = new Date(now.getTime() + rule.windowSeconds * 1000);
  const rows = await db.$queryRaw<{ count: number; resetAt: Date }[]>`
    INSERT INTO "RateLimit" ("key", "count", "resetAt") VALUES (${key}, 1, ${resetAt})
    ON CONFLICT ("key") DO UPDATE SET
      "count" = CASE WHEN "RateLimit"."resetAt" <= ${now} THEN 1 ELSE "RateLimit"."count" + 1 END,
      "resetAt" = CASE WHEN "RateLimit"."resetAt" <= ${now} THEN ${resetAt} ELSE "RateLimit"."resetAt" END
    RETURNING "count", "resetAt"`;
  return rows[0]!;
}

/**
 * Counts this attempt before it is evaluated, on every key at once, and throws RATE_LIMITED when
 * it is over any key's limit. Counting first is what holds under concurrency: a burst of 200
 * parallel guesses takes counts 1 to 200 atomically, and only the first `max` are evaluated at
 * all. The attempt stays counted when it is refused or fails; refundAttempt gives it back when it
 * succeeds.
 */
export async function reserveAttempt(keys: LimitedKey[], now = new Date()): Promise<void> {
  let retryAt: Date | null = null;
  for (const k of keys) {
    const { count, resetAt } = await hit(k, now);
    if (count > k.rule.max && (!retryAt || resetAt > retryAt)) retryAt = resetAt;
  }
  if (retryAt) throw tooManyAttempts(retryAt, now);
}

/** A reserved attempt that succeeded is not a failure: its count is given back (in its window). */
export async function refundAttempt(keys: LimitedKey[], now = new Date()): Promise<void> {
  for (const { key } of keys) {
    await db.$executeRaw`UPDATE "RateLimit" SET "count" = GREATEST("count" - 1, 0) WHERE "key" = ${key} AND "resetAt" > ${now}`;
  }
}
