import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runOpenLoop, runOpenLoopInWorker } from "@/bench/lib/open-loop";

// The generator against in-process servers on this helper's loopback range. Assertions are on
// counts and bounds, never on latencies, so a loaded machine cannot make them flaky.
const HOST = "127.0.27.2";
const servers: http.Server[] = [];

async function serve(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

describe("runOpenLoop", () => {
  it("sends every scheduled request and counts 2xx and non-2xx", async () => {
    let seen = 0;
    const port = await serve((req, res) => {
      seen++;
      res.statusCode = seen % 10 === 0 ? 503 : 200;
      res.end(req.headers.host);
    });
    const r = await runOpenLoop({ target: { host: HOST, port }, hostHeader: "site.test", ratePerSec: 100, durationMs: 500 });
    expect(r.records).toHaveLength(50);
    expect(r.summary).toMatchObject({ scheduled: 50, sent: 50, ok2xx: 45, non2xx: 5, errors: 0 });
    // The schedule is fixed: slot i is at startedAt + i * 10 ms whatever the responses did.
    r.records.forEach((rec, i) => expect(rec.scheduledAt).toBeCloseTo(r.startedAt + i * 10, 6));
    for (const rec of r.records) expect(rec.latencyMs).toBeGreaterThanOrEqual(rec.sentAt! - rec.scheduledAt);
  });

  it("records refusals when nothing listens", async () => {
    const port = await serve(() => {});
    servers[0]!.close();
    await new Promise((resolve) => setImmediate(resolve));
    const r = await runOpenLoop({ target: { host: HOST, port }, ratePerSec: 50, durationMs: 200 });
    expect(r.summary).toMatchObject({ scheduled: 10, refused: 10, ok2xx: 0, failed: 10 });
  });

  it("times out a server that never answers, and still ends by itself", async () => {
    const port = await serve(() => {});
    const began = Date.now();
    const r = await runOpenLoop({ target: { host: HOST, port }, ratePerSec: 50, durationMs: 200, timeoutMs: 300 });
    expect(r.summary).toMatchObject({ scheduled: 10, timeouts: 10, failed: 10 });
    expect(Date.now() - began).toBeLessThan(200 + 300 + 1_000);
  });

  it("counts a connection cut mid-request as a reset", async () => {
    const port = await serve((req) => req.socket.destroy());
    const r = await runOpenLoop({ target: { host: HOST, port }, ratePerSec: 50, durationMs: 200 });
    expect(r.summary).toMatchObject({ scheduled: 10, resets: 10 });
  });

  it("sheds (never delays) what exceeds maxInFlight", async () => {
    const port = await serve(() => {});
    const r = await runOpenLoop({ target: { host: HOST, port }, ratePerSec: 100, durationMs: 200, timeoutMs: 400, maxInFlight: 5 });
    const shed = r.records.filter((x) => x.error === "overload");
    expect(shed).toHaveLength(15);
    expect(shed.every((x) => x.sentAt === null)).toBe(true);
    expect(r.summary).toMatchObject({ scheduled: 20, sent: 5, timeouts: 5 });
  });

  it("stops scheduling on abort and returns what it has", async () => {
    const port = await serve((_req, res) => res.end("ok"));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const r = await runOpenLoop({ target: { host: HOST, port }, ratePerSec: 100, durationMs: 10_000, signal: controller.signal });
    expect(r.aborted).toBe(true);
    expect(r.records.length).toBeGreaterThan(0);
    expect(r.records.length).toBeLessThan(1_000);
    expect(r.summary.failed).toBe(0);
  });
});

describe("runOpenLoopInWorker", () => {
  it("runs the same loop in a worker thread (tsx registered there) and forwards an abort", async () => {
    const port = await serve((_req, res) => res.end("ok"));
    const full = await runOpenLoopInWorker({ target: { host: HOST, port }, ratePerSec: 100, durationMs: 300 });
    expect(full.summary).toMatchObject({ scheduled: 30, ok2xx: 30, failed: 0 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 400);
    const cut = await runOpenLoopInWorker({ target: { host: HOST, port }, ratePerSec: 100, durationMs: 10_000, signal: controller.signal });
    expect(cut.aborted).toBe(true);
    expect(cut.records.length).toBeLessThan(1_000);
  });
});
