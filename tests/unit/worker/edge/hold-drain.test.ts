import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startHoldService, type HoldService } from "../../../../worker/edge/hold-service";
import type { RouteDecision } from "../../../../worker/edge/route-table";

// The drain of a move: the hold service counts, per site, the requests it forwarded and that
// have not finished, and drain() resolves when they have (or says how many are left).

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function backend(delayMs: number) {
  const server = http.createServer((_req, res) => setTimeout(() => res.end("ok"), delayMs));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return (server.address() as AddressInfo).port;
}

async function hold(decide: (host: string) => RouteDecision): Promise<HoldService> {
  const service = await startHoldService({ host: "127.0.0.1", port: 0, decide });
  closers.push(() => service.close());
  return service;
}

const get = (port: number, host: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/", headers: { host }, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });

describe("hold service drain", () => {
  it("resolves 0 once the site's forwarded requests have finished, and at once when there are none", async () => {
    const port = await backend(300);
    const service = await hold(() => ({ kind: "forward", siteId: "site1", target: { address: "127.0.0.1", port } }));
    expect(await service.drain("site1", 1_000)).toBe(0);
    const response = get(service.port, "a.test");
    await expect.poll(() => service.inFlight("site1")).toBe(1);
    expect(service.inFlight("site2")).toBe(0);
    const started = Date.now();
    expect(await service.drain("site1", 5_000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await response).toEqual({ status: 200, body: "ok" });
    expect(service.inFlight("site1")).toBe(0);
  });

  it("says how many are still in flight when the time is up, and counts other sites apart", async () => {
    const port = await backend(1_500);
    const service = await hold((host) => ({ kind: "forward", siteId: host === "a.test" ? "site1" : "site2", target: { address: "127.0.0.1", port } }));
    const responses = [get(service.port, "a.test"), get(service.port, "a.test"), get(service.port, "b.test")];
    await expect.poll(() => service.inFlight("site1")).toBe(2);
    expect(await service.drain("site1", 100)).toBe(2);
    expect(service.inFlight("site2")).toBe(1);
    await Promise.all(responses);
    expect(await service.drain("site1", 100)).toBe(0);
  });
});
