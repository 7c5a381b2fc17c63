import { createHash } from "node:crypto";
import { db } from "../db";

// Idempotency-Key on POST (the IETF httpapi draft's semantics, kept in Postgres per token for 24
// hours): the first request with a key runs and its answer is stored; a repeat with the same
// method, path and body gets that answer back and runs nothing; the same key with a different
// request is refused (422); a repeat while the first is still running is refused (409) rather
// than run twice. An answer that is a server error is not kept, so the client may try again.

export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
export const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

export type StoredAnswer = { status: number; body: string; headers: Record<string, string> };
export type Claim = { kind: "run" } | { kind: "replay"; answer: StoredAnswer } | { kind: "mismatch" } | { kind: "running" };

export function requestHash(method: string, path: string, body: string): string {
  return createHash("sha256").update(`${method} ${path}\n${body}`).digest("hex");
}

/** Claims `key` for this request, or says what the first request with it became. */
export async function claimKey(tokenId: string, key: string, hash: string, now = new Date()): Promise<Claim> {
  const expired = new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS);
  // A key older than the window is forgotten: it may be used again as new.
  await db.idempotencyKey.deleteMany({ where: { tokenId, key, createdAt: { lt: expired } } });
  const inserted = await db.$executeRaw`
    INSERT INTO "IdempotencyKey" ("tokenId", "key", "requestHash", "createdAt") VALUES (${tokenId}, ${key}, ${hash}, ${now})
    ON CONFLICT ("tokenId", "key") DO NOTHING`;
  if (inserted === 1) return { kind: "run" };
  const first = await db.idempotencyKey.findUnique({ where: { tokenId_key: { tokenId, key } } });
  // Released between our insert and this read (the first answer was a server error): run.
  if (!first) return claimKey(tokenId, key, hash, now);
  if (first.requestHash !== hash) return { kind: "mismatch" };
  if (first.status === null) return { kind: "running" };
  return { kind: "replay", answer: { status: first.status, body: first.body ?? "", headers: (first.headers ?? {}) as Record<string, string> } };
}

export async function storeAnswer(tokenId: string, key: string, answer: StoredAnswer): Promise<void> {
  await db.idempotencyKey.updateMany({
    where: { tokenId, key },
    data: { status: answer.status, body: answer.body, headers: answer.headers },
  });
}

export async function releaseKey(tokenId: string, key: string): Promise<void> {
  await db.idempotencyKey.deleteMany({ where: { tokenId, key, status: null } });
}

/** Keys past the window, all tokens at once (the handler calls it now and then). */
export async function sweepIdempotencyKeys(now = new Date()): Promise<number> {
  const { count } = await db.idempotencyKey.deleteMany({ where: { createdAt: { lt: new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS) } } });
  return count;
}
