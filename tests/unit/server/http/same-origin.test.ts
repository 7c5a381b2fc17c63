import { describe, expect, it } from "vitest";
import { sameOriginRequest } from "../../../../server/http/same-origin";

const h = (init: Record<string, string>) => new Headers(init);

describe("sameOriginRequest", () => {
  it("accepts the page's own origin, whatever the case or default port", () => {
    expect(sameOriginRequest(h({ host: "localhost:3000", origin: "http://localhost:3000" }))).toBe(true);
    expect(sameOriginRequest(h({ host: "Panel.Example.TEST", origin: "https://panel.example.test" }))).toBe(true);
    expect(sameOriginRequest(h({ host: "panel.example.test:443", origin: "https://panel.example.test" }))).toBe(true);
    expect(sameOriginRequest(h({ host: "panel.example.test", "sec-fetch-site": "same-origin" }))).toBe(true);
  });

  it("refuses another site, another port, another reseller's host, an opaque or odd origin, and silence", () => {
    expect(sameOriginRequest(h({ host: "localhost:3000", origin: "http://evil.test" }))).toBe(false);
    expect(sameOriginRequest(h({ host: "localhost:3000", origin: "http://localhost:3001" }))).toBe(false);
    expect(sameOriginRequest(h({ host: "panel.reseller-one.test", origin: "http://panel.reseller-two.test" }))).toBe(false);
    expect(sameOriginRequest(h({ host: "localhost:3000", origin: "null" }))).toBe(false);
    expect(sameOriginRequest(h({ host: "localhost:3000", origin: "javascript://localhost:3000" }))).toBe(false);
    expect(sameOriginRequest(h({ host: "localhost:3000", origin: "http://localhost:3000@evil.test" }))).toBe(false);
    expect(sameOriginRequest(h({ origin: "http://localhost:3000" }))).toBe(false);
    expect(sameOriginRequest(h({ host: "localhost:3000", "sec-fetch-site": "cross-site" }))).toBe(false);
    expect(sameOriginRequest(h({ host: "localhost:3000" }))).toBe(false);
  });
});
