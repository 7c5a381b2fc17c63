import type { Tx } from "../../db";
import { suggestUnixUsername } from "../../domain/unix-username";
import { usernameClash } from "../account/username-clash";

/**
 * The first free name of "acme", "acme2", "acme3"... derived from the customer's name; when a
 * name with underscores clashes with another account's at an underscore ("cafe_noir" beside
 * "cafe"), the same name without them ("cafenoir"). A deleted account's name stays taken while its
 * nodes may still hold its objects (username-clash.ts). The live-username index still guards the race.
 */
export async function pickUnixUsername(tx: Tx, customerName: string): Promise<string> {
  const base = suggestUnixUsername(customerName);
  const flat = base.replaceAll("_", "");
  // At most 24 characters, so 8 digits of suffix always fit the 32-character limit.
  for (const b of base === flat ? [base] : [base, flat]) {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? b : `${b}${n}`;
      const clash = await usernameClash(tx, candidate);
      if (!clash) return candidate;
      // Another account's name at an underscore ("cafe" for "cafe_noir2"): no number helps, the
      // name without underscores might. Without underscores, only numbers are left to try.
      if (clash !== candidate && b !== flat) break;
    }
  }
  throw new Error("unreachable: numbered names never run out");
}
