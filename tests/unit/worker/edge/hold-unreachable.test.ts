import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startHoldService, type HoldCause, type HoldOutcome, type HoldServiceOptions } from "../../../../worker/edge/hold-service";
import type { RouteDecision, RouteTarget } from "../../../../worker/edge/route-table";

// A backend that takes no connection (its node died): a GET or HEAD waits in the hold service
// until the backend takes connections again or the route table sends the site elsewhere, bounded
// by the hold's timeout; anything else gets the 502 page at once.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

type Backend = { port: number; requests: number; stop(): Promise<void>; start(): Promise<void> };

/** A backend on a fixed port that can go away (connections refused) and come back on the same port. */
async function backend(body: string, handler?: http.RequestListener): Promise<Backend> {
  let server: http.Server | null = null;
  const b: Backend = {
    port: 0,
    requests: 0,
    async start() {
      const s = http.createServer((req, res) => {
        b.requests++;
        if (handler) return handler(req, res);
        req.resume();
        res.end(`${body} ${req.method}`);
      });
      await new Promise<void>((r) => s.listen(b.port, "127.0.0.1", r));
      b.port = (s.address() as AddressInfo).port;
      server = s;
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    },
  };
  await b.start();
  closers.push(() => b.stop());
  return b;
}

const target = (b: Backend): RouteTarget => ({ address: "127.0.0.1", port: b.port });

async function hold(decide: (host: string) => RouteDecision, options: Partial<HoldServiceOptions> = {}) {
  const counted: [HoldOutcome, HoldCause][] = [];
  const service = await startHoldService({ host: "127.0.0.1", port: 0, decide, retryEveryMs: 50, count: (o, c) => counted.push([o, c]), ...options });
  closers.push(() => service.close());
  return { service, counted };
}

type Reply = { status: number; body: string; ms: number; retryAfter?: string };
function send(port: number, method = "GET", body?: string): Promise<Reply> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: "/", headers: { host: "a.test", ...(body ? { "content-length": String(body.length) } : {}) }, agent: false }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, ms: Date.now() - started, retryAfter: res.headers["retry-after"] }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("hold service: a backend that takes no connection", () => {
  it("keeps a GET and a HEAD until the backend takes connections again, with no new route", async () => {
    const b = await backend("same node");
    const { service, counted } = await hold(() => ({ kind: "forward", siteId: "site1", target: target(b) }));
    await b.stop();
    const get = send(service.port);
    const head = send(service.port, "HEAD");
    await expect.poll(() => service.heldCount()).toBe(2);
    await sleep(300);
    expect(service.heldCount()).toBe(2);
    await b.start();
    // Found by the service's own tries (every 50 ms here), not by a recheck().
    const [g, h] = await Promise.all([get, head]);
    expect(g).toMatchObject({ status: 200, body: "same node GET" });
    expect(h.status).toBe(200);
    expect(g.ms).toBeGreaterThanOrEqual(300);
    expect(service.heldCount()).toBe(0);
    expect(counted).toEqual([["released", "unreachable"], ["released", "unreachable"]]);
  });

  it("sends a waiting GET to the site's new backend when the route table changes", async () => {
    const dead = await backend("old node");
    const promoted = await backend("new node");
    let decision: RouteDecision = { kind: "forward", siteId: "site1", target: target(dead) };
    const { service } = await hold(() => decision);
    await dead.stop();
    const get = send(service.port);
    await expect.poll(() => service.heldCount()).toBe(1);
    // A failover: held (paused), then released to the new node.
    decision = { kind: "hold", siteId: "site1" };
    service.recheck();
    expect(service.heldCount()).toBe(1);
    decision = { kind: "forward", siteId: "site1", target: target(promoted) };
    service.recheck();
    expect(await get).toMatchObject({ status: 200, body: "new node GET" });
  });

  it("answers a POST 502 at once: it may have run", async () => {
    const b = await backend("x");
    const { service } = await hold(() => ({ kind: "forward", siteId: "site1", target: target(b) }));
    await b.stop();
    const post = await send(service.port, "POST", "a=1");
    expect(post.status).toBe(502);
    expect(post.body).toContain("Site temporarily unreachable");
    expect(post.ms).toBeLessThan(1_000);
    expect(service.heldCount()).toBe(0);
  });

  it("answers 503 with Retry-After after the hold's timeout, then 502 at once while the backend stays away", async () => {
    const b = await backend("x");
    const { service, counted } = await hold(() => ({ kind: "forward", siteId: "site1", target: target(b) }), { timeoutMs: 600 });
    await b.stop();
    const first = await send(service.port);
    expect(first).toMatchObject({ status: 503, retryAfter: "5" });
    expect(first.body).toContain("<h1>Site temporarily unreachable</h1>");
    expect(first.ms).toBeGreaterThanOrEqual(550);
    // Unreachable for longer than a hold lasts (the first request waited all of it, and a little
    // more goes by): a new request does not wait for it.
    await sleep(50);
    const next = await send(service.port);
    expect(next.status).toBe(502);
    expect(next.ms).toBeLessThan(300);
    expect(counted).toEqual([["timed_out", "unreachable"], ["refused_unreachable", "unreachable"]]);
    // Back: requests go through again.
    await b.start();
    await expect.poll(async () => (await send(service.port)).status, { timeout: 3_000 }).toBe(200);
  });

  it("sends a GET again when the backend closed its connection without an answer (it died with the request inside)", async () => {
    let first = true;
    const b = await backend("x", (req, res) => {
      if (first) {
        first = false;
        req.socket.destroy();
        return;
      }
      res.end("answered the second time");
    });
    const { service } = await hold(() => ({ kind: "forward", siteId: "site1", target: target(b) }));
    expect(await send(service.port)).toMatchObject({ status: 200, body: "answered the second time" });
    expect(b.requests).toBe(2);
  });

  it("does not send a GET again once the backend's answer has begun: the client sees it cut", async () => {
    const b = await backend("x", (_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("part");
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const { service } = await hold(() => ({ kind: "forward", siteId: "site1", target: target(b) }));
    await expect(send(service.port)).rejects.toThrow();
    expect(b.requests).toBe(1);
  });

  it("answers 502 at once with failUnreachable (the behaviour before, for the bench only)", async () => {
    const b = await backend("x");
    const { service } = await hold(() => ({ kind: "forward", siteId: "site1", target: target(b) }), { failUnreachable: true });
    await b.stop();
    const get = await send(service.port);
    expect(get.status).toBe(502);
    expect(get.ms).toBeLessThan(1_000);
  });

  it("answers the waiting requests 503 when it closes", async () => {
    const b = await backend("x");
    const { service, counted } = await hold(() => ({ kind: "forward", siteId: "site1", target: target(b) }));
    await b.stop();
    const get = send(service.port);
    await expect.poll(() => service.heldCount()).toBe(1);
    await service.close();
    expect((await get).status).toBe(503);
    expect(counted).toEqual([["closed", "unreachable"]]);
  });
});
