import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { TLSSocket } from "node:tls";
import {
  contentHashHeader,
  dateHeader,
  nonceHeader,
  requestSignature,
  signatureScheme,
  signatureWindowMs,
  unsignedPayload,
} from "../../server/contract/agent-signature";
import { isControlPlaneCertificate } from "../../server/contract/cluster-tls";

// Every agent API call is signed with the node's secret (server/contract/agent-signature.ts):
// the secret itself never travels, and a request seen on the wire cannot be sent again. Compares
// go through SHA-256 first so timingSafeEqual always sees 32 bytes: a value of the wrong length
// costs the same time as a wrong value of the right length, and reveals neither.

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
const sameSecret = (given: string, expected: Buffer) => timingSafeEqual(digest(given), expected) && given !== "";

export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (typeof header !== "string") return null;
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(header);
  return match?.[1] ?? null;
}

/**
 * Bearer checker bound to one secret, for Prometheus scrapes of /metrics only (a scraper cannot
 * sign); its digest is computed once.
 */
export function bearerAuth(secret: string): (req: IncomingMessage) => boolean {
  const expected = digest(secret);
  // A missing token is still compared, so "no token" and "wrong token" take the same path.
  return (req) => sameSecret(bearerToken(req) ?? "", expected);
}

const scheme = new RegExp(`^${signatureScheme} ([A-Za-z0-9_-]{43})$`);

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return typeof value === "string" ? value : null;
};

export type SignedAuthOptions = {
  /** Requests whose body may go unhashed (UNSIGNED-PAYLOAD): snapshot stream uploads. */
  mayBeUnsigned?: (req: IncomingMessage) => boolean;
  windowMs?: number;
  now?: () => number;
};

/**
 * The checker of signed requests for one node secret: the signature over the request, a
 * timestamp within the window, and a nonce not seen before. Only a request whose signature holds
 * uses up its nonce, so nobody without the secret can fill the cache. A nonce is kept for twice
 * the window after it arrived: by then its timestamp is out of the window anyway. The body's hash
 * is checked where the body is read (readJsonBody in router.ts).
 */
export function signedRequestAuth(secret: string, options: SignedAuthOptions = {}): (req: IncomingMessage) => boolean {
  const windowMs = options.windowMs ?? signatureWindowMs;
  const now = options.now ?? Date.now;
  // Insertion order is arrival order, so the oldest entries are at the front.
  const seen = new Map<string, number>();
  const forget = (at: number) => {
    for (const [nonce, until] of seen) {
      if (until > at) break;
      seen.delete(nonce);
    }
  };
  return (req) => {
    const match = scheme.exec(header(req, "authorization") ?? "");
    const date = header(req, dateHeader);
    const nonce = header(req, nonceHeader);
    const contentSha256 = header(req, contentHashHeader);
    if (!match || !date || !/^[0-9]{1,16}$/.test(date) || !nonce || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce) || !contentSha256) return false;
    if (contentSha256 === unsignedPayload ? !options.mayBeUnsigned?.(req) : !/^[0-9a-f]{64}$/.test(contentSha256)) return false;
    const expected = requestSignature(secret, { method: req.method ?? "GET", path: req.url ?? "/", date, nonce, contentSha256 });
    if (!sameSecret(match[1]!, digest(expected))) return false;
    const at = now();
    if (Math.abs(at - Number(date)) > windowMs) return false;
    forget(at);
    if (seen.has(nonce)) return false;
    seen.set(nonce, at + 2 * windowMs);
    return true;
  };
}

/** Why a connection's client certificate is not the control plane's, or null when it is. */
export type PeerVerdict = string | null;

/**
 * The checker of the caller's TLS client certificate (server/contract/cluster-tls.ts): verified
 * against the cluster CA by the TLS layer, and of the control-plane role, so a node's certificate
 * (or anything else the CA signed for another purpose) is no way in. Judged once per connection:
 * a kept-alive connection's certificate cannot change.
 */
export function controlPlanePeer(): (req: IncomingMessage) => PeerVerdict {
  const verdicts = new WeakMap<TLSSocket, PeerVerdict>();
  const judge = (socket: TLSSocket): PeerVerdict => {
    const cert = socket.getPeerCertificate();
    if (!cert || Object.keys(cert).length === 0) return "no client certificate was presented";
    if (!socket.authorized) return `the client certificate does not verify against the cluster CA as a client's (${String(socket.authorizationError)})`;
    return isControlPlaneCertificate(cert) ? null : "the client certificate is not the control plane's";
  };
  return (req) => {
    const socket = req.socket;
    if (!(socket instanceof TLSSocket)) return "the connection is not TLS";
    let verdict = verdicts.get(socket);
    if (verdict === undefined) {
      verdict = judge(socket);
      verdicts.set(socket, verdict);
    }
    return verdict;
  };
}
