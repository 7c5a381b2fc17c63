/**
 * Runs `fn` on every item, at most `limit` at once, and settles every one: the answer is each
 * item's error or null, in the items' order. For independent work on a node (one account's
 * php-fpm master and another's) that would otherwise wait for each other for nothing.
 */
export async function settleEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<(Error | null)[]> {
  const outcomes: (Error | null)[] = new Array<Error | null>(items.length).fill(null);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!);
      } catch (e) {
        outcomes[i] = e instanceof Error ? e : new Error(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return outcomes;
}
