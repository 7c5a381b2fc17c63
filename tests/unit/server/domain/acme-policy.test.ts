import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyAcmeError, renewAt, retryDelayMs } from "../../../../server/domain/acme-policy";

describe("acme policy", () => {
  it("renews two thirds into a certificate's life, at most a thirtieth earlier", () => {
    fc.assert(
      fc.property(fc.integer({ min: 60_000, max: 400 * 86_400_000 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (life, r) => {
        const from = new Date(Date.UTC(2026, 0, 1));
        const at = renewAt(from, new Date(from.getTime() + life), () => r).getTime() - from.getTime();
        expect(at).toBeLessThanOrEqual((life * 2) / 3 + 1);
        expect(at).toBeGreaterThanOrEqual((life * 2) / 3 - life / 30 - 1);
      }),
    );
  });

  it("backs off 5 min, 15 min, 1 h, 4 h, then 12 h; a rate limit waits at least an hour", () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 9].map((n) => retryDelayMs(n, "NOT_POINTED", none) / 60_000)).toEqual([5, 15, 60, 240, 720, 720]);
    expect(retryDelayMs(1, "RATE_LIMITED", none)).toBe(3_600_000);
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), (n) => retryDelayMs(n + 1, "REFUSED", none) >= retryDelayMs(n, "REFUSED", none)));
  });

  it("names ACME problems", () => {
    expect(classifyAcmeError(new Error("urn:ietf:params:acme:error:rateLimited: too many"))).toBe("RATE_LIMITED");
    expect(classifyAcmeError(new Error("urn:ietf:params:acme:error:caa: CAA record forbids"))).toBe("CAA");
    expect(classifyAcmeError(new Error("connect ECONNREFUSED 127.0.0.1:14000"))).toBe("UNREACHABLE");
    expect(classifyAcmeError(new Error("urn:ietf:params:acme:error:dns: NXDOMAIN"))).toBe("NOT_POINTED");
    expect(classifyAcmeError(new Error("urn:ietf:params:acme:error:rejectedIdentifier"))).toBe("REFUSED");
  });
});
