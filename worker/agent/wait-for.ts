import { setTimeout as delay } from "node:timers/promises";

/**
 * Polls until `check` returns a value other than undefined/null/false, or fails after `timeoutMs`
 * with a message saying what was awaited (and the last error `check` threw, if any). null counts
 * as "not yet" because the pid readers (phpFpmPid, nginxPid) answer null for "no pid file yet":
 * taken as an answer, a master start returned before the master had written its pid file.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 10_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await delay(intervalMs);
  }
}
