import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

// Every agent call carries the node's secret as a bearer token (the agent trusts nothing but the
// control plane). Both sides are hashed before the compare so timingSafeEqual always sees
// 32 bytes: a token of the wrong length costs the same time as a wrong token of the right length,
// and the compare reveals neither the secret's length nor how much of it matched.

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (typeof header !== "string") return null;
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(header);
  return match?.[1] ?? null;
}

/** Returns a checker bound to one secret; its digest is computed once. */
export function bearerAuth(secret: string): (req: IncomingMessage) => boolean {
  const expected = digest(secret);
  return (req) => {
    // A missing token is still compared, so "no token" and "wrong token" take the same path.
    const token = bearerToken(req) ?? "";
    return timingSafeEqual(digest(token), expected) && token !== "";
  };
}
