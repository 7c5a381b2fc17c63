import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

// A token reads "pat_<prefix>_<secret>" (neutral: customers see it). The fixed "pat_" start lets
// secret scanners recognise a leaked one; the prefix (stored in the clear, unique) finds the row and is what people see; the
// secret is 32 random bytes, stored as a SHA-256 hash only (it has full entropy, so a slow hash
// adds nothing; the lookup by prefix keeps the comparison to one row, in constant time).

export const TOKEN_START = "pat_";
const PREFIX_LENGTH = 12;

export function newTokenSecret(): { token: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(9).toString("base64url").replace(/[-_]/g, "x").slice(0, PREFIX_LENGTH).toLowerCase();
  const secret = randomBytes(32).toString("base64url");
  return { token: `${TOKEN_START}${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(`shoal-api-token:${secret}`).digest("hex");
}

/** The prefix and secret of a presented token, or null when it is not shaped like one of ours. */
export function parseToken(token: string): { prefix: string; secret: string } | null {
  const m = /^pat_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { prefix: m[1]!, secret: m[2]! } : null;
}

export function secretMatches(secret: string, secretHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(secretHash, "hex");
  return given.length === stored.length && timingSafeEqual(given, stored);
}
