import { createHash, createHmac, randomBytes } from "node:crypto";

// How a call to an agent proves itself (worker/agent/auth.ts checks it). The node's token never
// travels: each request carries an HMAC-SHA256, keyed by the token, of its method, path and query,
// a timestamp, a nonce and the SHA-256 of its body. The agent accepts a timestamp within a short
// window of its own clock and each nonce once, so a captured request cannot be sent again, nor
// its body or path changed. A snapshot stream's body is too large to hash before sending; it
// alone goes as UNSIGNED-PAYLOAD (the agent allows that on the stream upload route only).

export const signatureScheme = "Shoal-HMAC-SHA256";
export const dateHeader = "x-shoal-date";
export const nonceHeader = "x-shoal-nonce";
export const contentHashHeader = "x-shoal-content-sha256";
export const unsignedPayload = "UNSIGNED-PAYLOAD";
/** How far a request's timestamp may be from the agent's clock, either way. */
export const signatureWindowMs = 30_000;

export const sha256Hex = (body: string | Uint8Array) => createHash("sha256").update(body).digest("hex");

/** The MAC over one request's parts (base64url, 43 characters). */
export function requestSignature(token: string, parts: { method: string; path: string; date: string; nonce: string; contentSha256: string }): string {
  const text = [parts.method.toUpperCase(), parts.path, parts.date, parts.nonce, parts.contentSha256].join("\n");
  return createHmac("sha256", token).update(text, "utf8").digest("base64url");
}

/**
 * The headers that sign one request. `path`: the path and query exactly as sent; `body`: the
 * bytes sent (none: an empty body), or `unsignedPayload` for a stream.
 */
export function signedHeaders(token: string, method: string, path: string, body: string | Uint8Array = "", now = Date.now()): Record<string, string> {
  const date = String(now);
  const nonce = randomBytes(16).toString("base64url");
  const contentSha256 = body === unsignedPayload ? unsignedPayload : sha256Hex(body);
  return {
    authorization: `${signatureScheme} ${requestSignature(token, { method, path, date, nonce, contentSha256 })}`,
    [dateHeader]: date,
    [nonceHeader]: nonce,
    [contentHashHeader]: contentSha256,
  };
}

/**
 * The bearer token a Prometheus scrape of an agent's /metrics presents (a scraper cannot sign).
 * Derived from the node's token, not the token itself: a scrape seen on the wire gives nobody a
 * way to sign an API call.
 */
export function scrapeToken(agentToken: string): string {
  return createHmac("sha256", agentToken).update("shoal metrics scrape", "utf8").digest("base64url");
}
