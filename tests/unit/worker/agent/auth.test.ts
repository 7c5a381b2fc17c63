import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { signedHeaders, unsignedPayload } from "../../../../server/contract/agent-signature";
import { signedRequestAuth } from "../../../../worker/agent/auth";

// The agent's check of a signed call: right secret, method, path and body hash; a timestamp
// within the window; each nonce once, remembered for as long as its timestamp could pass.

const secret = "unit-test-agent-secret-0123456789abcdef";
const t0 = 1_800_000_000_000;
const request = (method: string, url: string, headers: Record<string, string>) => ({ method, url, headers }) as unknown as IncomingMessage;

function agent(isStream = (req: IncomingMessage) => req.url!.endsWith("/stream")) {
  let clock = t0;
  const check = signedRequestAuth(secret, { now: () => clock, windowMs: 30_000, mayBeUnsigned: isStream });
  return { check, at: (ms: number) => (clock = ms) };
}

describe("signedRequestAuth", () => {
  it("accepts a signed request once; the same request again is refused", () => {
    const { check } = agent();
    const headers = signedHeaders(secret, "GET", "/v1/health", "", t0);
    expect(check(request("GET", "/v1/health", headers))).toBe(true);
    expect(check(request("GET", "/v1/health", headers))).toBe(false);
    // A new nonce is a new request.
    expect(check(request("GET", "/v1/health", signedHeaders(secret, "GET", "/v1/health", "", t0)))).toBe(true);
  });

  it("refuses a timestamp outside the window either way, and keeps refusing a used nonce while its timestamp could pass", () => {
    const { check, at } = agent();
    expect(check(request("GET", "/v1/health", signedHeaders(secret, "GET", "/v1/health", "", t0 - 30_001)))).toBe(false);
    expect(check(request("GET", "/v1/health", signedHeaders(secret, "GET", "/v1/health", "", t0 + 30_001)))).toBe(false);
    // Sent 25 s ahead of the agent's clock: fine now, and still refused 50 s later (then stale anyway).
    const ahead = signedHeaders(secret, "GET", "/v1/health", "", t0 + 25_000);
    expect(check(request("GET", "/v1/health", ahead))).toBe(true);
    at(t0 + 50_000);
    expect(check(request("GET", "/v1/health", ahead))).toBe(false);
    at(t0 + 56_000);
    expect(check(request("GET", "/v1/health", ahead))).toBe(false);
  });

  it("refuses another secret, method or path, a bearer token, and a malformed header", () => {
    const { check } = agent();
    expect(check(request("GET", "/v1/health", signedHeaders("another-secret-0123456789abcdef0123", "GET", "/v1/health", "", t0)))).toBe(false);
    expect(check(request("DELETE", "/v1/health", signedHeaders(secret, "GET", "/v1/health", "", t0)))).toBe(false);
    expect(check(request("GET", "/v1/state", signedHeaders(secret, "GET", "/v1/health", "", t0)))).toBe(false);
    expect(check(request("GET", "/v1/health?x=1", signedHeaders(secret, "GET", "/v1/health", "", t0)))).toBe(false);
    expect(check(request("GET", "/v1/health", { authorization: `Bearer ${secret}` }))).toBe(false);
    const good = signedHeaders(secret, "GET", "/v1/health", "", t0);
    expect(check(request("GET", "/v1/health", { ...good, "x-shoal-date": "soon" }))).toBe(false);
    expect(check(request("GET", "/v1/health", { ...good, "x-shoal-nonce": "short" }))).toBe(false);
    expect(check(request("GET", "/v1/health", { ...good, "x-shoal-content-sha256": "0".repeat(64) }))).toBe(false);
  });

  it("lets only a stream upload leave its body unhashed", () => {
    const { check } = agent();
    const stream = "/v1/sites/s1/snapshots/a/stream";
    expect(check(request("PUT", stream, signedHeaders(secret, "PUT", stream, unsignedPayload, t0)))).toBe(true);
    expect(check(request("PUT", "/v1/spec", signedHeaders(secret, "PUT", "/v1/spec", unsignedPayload, t0)))).toBe(false);
  });
});
