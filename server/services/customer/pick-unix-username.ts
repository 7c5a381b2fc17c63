import type { Tx } from "../../db";
import { suggestUnixUsername } from "../../domain/unix-username";

/**
 * The first free name of "acme", "acme2", "acme3"... derived from the customer's name. Names of
 * soft-deleted accounts count as taken too: a worker may still be tearing that Linux user down, and
 * a new owner must not inherit it mid-way. The live-username index still guards the race.
 */
export async function pickUnixUsername(tx: Tx, customerName: string): Promise<string> {
  const base = suggestUnixUsername(customerName);
  const rows = await tx.hostingAccount.findMany({
    where: { username: { startsWith: base } },
    select: { username: true },
  });
  const taken = new Set(rows.map((r) => r.username));
  if (!taken.has(base)) return base;
  // base is at most 24 characters, so 8 digits of suffix always fit the 32-character limit.
  for (let n = 2; ; n++) {
    const candidate = `${base}${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}
