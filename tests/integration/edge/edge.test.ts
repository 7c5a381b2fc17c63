import { readFile, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { testNodeTls } from "../../helpers/cluster-tls";
import { runOpenLoop } from "../../../bench/lib/open-loop";
import { reloadNginx } from "../../../worker/agent/drivers/nginx";
import { runCommand } from "../../../worker/agent/run-command";
import { waitFor } from "../../../worker/agent/wait-for";
import { renderEdgeConf } from "../../../worker/edge/render-edge";
import { destroyNode, makeNode, uniqueUsername } from "../agent/node-harness";
import { agentCall, request, track } from "./edge-harness";

// Two nodes on one machine, each with its own nginx (front door + backend) and agent: a site
// converged on A answers through A's front door and through B's (one hop to A's backend); the
// route table is fenced by epoch, survives an agent restart, and a paused site's requests wait in
// the hold service until the site is released (or time out with 503). So do GETs whose backend
// is unreachable, until it is back or the site is routed elsewhere; a POST gets 502 at once.

const secret = "edge-test-secret-0123456789abcdef0123456789";
const client = "127.0.20.50"; // the test's own source address: what PHP must see as REMOTE_ADDR
const username = uniqueUsername("edge");
const domain = "edge.example.test";

let a: NodeRoot;
let b: NodeRoot;
let agentA: AgentServer;
let agentB: AgentServer;
const api = (node: NodeRoot, agent: AgentServer) => ({ address: node.address, port: agent.port, secret });
const agentPort = (node: NodeRoot) => node.httpPort + 3;
const startAgent = async (node: NodeRoot, holdTimeoutMs: number) =>
  startAgentServer({ host: node.address, port: agentPort(node), secret, nodeRoot: node, edge: { holdTimeoutMs }, tls: await testNodeTls(node) });

// Backends on addresses no node uses: nothing listens on the first (a dead node, connections
// refused); the second is cut off by nftables in one test (connections unanswered).
const deadTarget = { address: "127.0.20.3", port: 18299 };
const cutTarget = { address: "127.0.20.4", port: 18299 };

const siteRoute = (epoch: number, extra: Record<string, unknown> = {}) => ({
  siteId: "site1",
  domains: [domain],
  target: { address: a.address, port: a.backendPort },
  epoch,
  paused: false,
  ...extra,
});
async function putRoutes(node: NodeRoot, agent: AgentServer, routes: unknown[]) {
  const reply = await agentCall(api(node, agent), "PUT", "/v1/routes", { routes });
  expect(reply.status, JSON.stringify(reply.json)).toBe(200);
  return reply.json as { ok: boolean; applied: number; stale: unknown[]; conflicts: unknown[] };
}
const front = (node: NodeRoot, host: string, urlPath: string, extra: Partial<Parameters<typeof request>[0]> = {}) =>
  request({ address: node.address, port: node.httpPort, host, path: urlPath, localAddress: client, ...extra });

// What the site's PHP saw of the request: client address, the edge it came through, Host, body.
const infoPhp = `<?php
header('Content-Type: text/plain');
echo 'addr=', $_SERVER['REMOTE_ADDR'], ' edge=', $_SERVER['HTTP_X_EDGE'] ?? '-', ' host=', $_SERVER['HTTP_HOST'],
  ' proto=', $_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '-', ' len=', strlen(file_get_contents('php://input'));
`;

beforeAll(async () => {
  // Each believes the other's front door, as the cluster configures its nodes.
  a = await makeNode("127.0.20.1", 18201, 13201, { backendPort: 18202, holdPort: 18203, trustedProxies: ["127.0.20.2"] });
  b = await makeNode("127.0.20.2", 18211, 13211, { backendPort: 18212, holdPort: 18213, trustedProxies: ["127.0.20.1"] });
  agentA = await startAgent(a, 20_000);
  agentB = await startAgent(b, 1_500);
  const spec = {
    accounts: [{ id: "acc1", username, status: "ACTIVE" }],
    sites: [{ id: "site1", accountId: "acc1", domains: [domain], documentRoot: "public", phpSettings: {}, status: "ACTIVE" }],
    databases: [],
  };
  const converged = await agentCall(api(a, agentA), "PUT", "/v1/spec", spec);
  expect(converged.json.results.filter((r: { ok: boolean }) => !r.ok)).toEqual([]);
  // B hosts nothing: its converge only lays out the node and starts its nginx (its front door).
  expect((await agentCall(api(b, agentB), "PUT", "/v1/spec", { accounts: [], sites: [], databases: [] })).json.failed).toBe(0);
  const docroot = path.join(a.siteDir(username, "site1"), "public");
  await writeFile(path.join(docroot, "info.php"), infoPhp);
  await writeFile(path.join(docroot, "hello.html"), "<!doctype html><title>hello</title><p>hello from the edge test</p>\n");
}, 60_000);

afterAll(async () => {
  await Promise.all([agentA?.close(), agentB?.close()]);
  await Promise.all([a && destroyNode(a), b && destroyNode(b)]);
}, 60_000);

describe("the front door of two nodes", () => {
  it("refuses an invalid route table with 422 and each issue's path, changing nothing", async () => {
    const reply = await agentCall(api(a, agentA), "PUT", "/v1/routes", {
      routes: [
        siteRoute(1, { domains: ["x.example.test", "evil.test;\n}"] }),
        siteRoute(1, { siteId: "site2", domains: ["x.example.test"], target: { address: "localhost", port: 0 } }),
      ],
    });
    expect(reply.status).toBe(422);
    expect(reply.json.error.code).toBe("INVALID_ROUTES");
    expect(reply.json.error.issues).toEqual([
      { path: "routes.0.domains.1", message: "Must not contain line breaks." },
      { path: "routes.1.target.address", message: "Must be an IPv4 address." },
      { path: "routes.1.target.port", message: "Must be a port from 1 to 65535." },
    ]);
    // Cross-route rules are checked once every route is well formed.
    const clash = await agentCall(api(a, agentA), "PUT", "/v1/routes", {
      routes: [siteRoute(1, { domains: ["x.example.test"] }), siteRoute(1, { siteId: "site2", domains: ["x.example.test"] })],
    });
    expect(clash.status).toBe(422);
    expect(clash.json.error.issues).toEqual([
      { path: "routes.0.domains.0", message: 'Domain "x.example.test" is on more than one route.' },
      { path: "routes.1.domains.0", message: 'Domain "x.example.test" is on more than one route.' },
    ]);
    expect((await agentCall(api(a, agentA), "GET", "/v1/routes")).json).toEqual({ routes: [], held: 0 });
  });

  it("serves the site through A's front door and through B's, one hop to A's backend, with the client's address", async () => {
    for (const [node, agent] of [[a, agentA], [b, agentB]] as const) {
      expect(await putRoutes(node, agent, [siteRoute(1)])).toEqual({ ok: true, applied: 1, stale: [], conflicts: [], reloaded: true });
    }
    for (const node of [a, b]) {
      // A client's own X-Forwarded-For is not believed: PHP sees the address that connected.
      const res = await front(node, domain, "/info.php", { headers: { "x-forwarded-for": "6.6.6.6" } });
      expect(res.status).toBe(200);
      expect(res.body).toBe(`addr=${client} edge=${node.address} host=${domain} proto=http len=0`);
      expect(res.headers["x-edge"]).toBe(node.address);
      // Nothing a visitor sees names the platform.
      expect(Object.keys(res.headers).filter((h) => /shoal/i.test(h) || /shoal/i.test(String(res.headers[h])))).toEqual([]);
      const page = await front(node, domain, "/hello.html");
      expect(page.status).toBe(200);
      expect(page.headers["content-type"]).toBe("text/html");
      expect(page.body).toContain("hello from the edge test");
    }
    // The access log the metrics collector parses: "$msec $host $status $request_time" (flushed
    // within a second by nginx, so wait for it).
    const line = await waitFor("the front door's access log", async () => {
      const log = await readFile(a.edgeAccessLog, "utf8").catch(() => "");
      return log.split("\n").find((l) => / edge\.example\.test 200 /.test(l));
    });
    expect(line).toMatch(/^\d+\.\d{3} edge\.example\.test 200 \d+\.\d{3}$/);
  });

  it("answers every request while the edge's and the backend's nginx reload under load (they close their idle kept-alive connections)", async () => {
    // B's front door keeps connections to A's backend alive; each reload of A's nginx closes the
    // idle ones, and a request B just sent on one must be retried, not answered 502. B reloads
    // too, as every edge does on a route change: its old workers close the client's idle
    // connections, which a client retries on a fresh one (as browsers do), counted as retried.
    const stop = new AbortController();
    const reloads = (async () => {
      let n = 0;
      while (!stop.signal.aborted) {
        await Promise.all([reloadNginx(a), reloadNginx(b)]);
        n++;
        await new Promise((r) => setTimeout(r, 150));
      }
      return n;
    })();
    const result = await runOpenLoop({ target: { host: b.address, port: b.httpPort }, hostHeader: domain, path: "/hello.html", ratePerSec: 600, durationMs: 6_000, timeoutMs: 10_000, localAddress: client, retryStaleConnection: true });
    stop.abort();
    const reloaded = await reloads;
    const s = result.summary;
    const retried = result.records.filter((r) => r.retried).length;
    console.log(`nginx reloads under load: ${reloaded} reloads of both, ${s.sent} sent, ${s.ok2xx} 2xx, ${s.non2xx} non-2xx, ${s.resets} resets, ${retried} retried by the client; p99 ${s.p99.toFixed(1)} ms`);
    expect(reloaded).toBeGreaterThan(10);
    expect(s.sent).toBe(3600);
    expect({ non2xx: s.non2xx, resets: s.resets, timeouts: s.timeouts, errors: s.errors }).toEqual({ non2xx: 0, resets: 0, timeouts: 0, errors: 0 });
  });

  it("answers an unknown host, a dead backend and a request loop with their own clean pages", async () => {
    for (const node of [a, b]) {
      const unknown = await front(node, "nobody.example.test", "/picture.png");
      expect(unknown.status).toBe(404);
      expect(unknown.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(unknown.body).toContain("<h1>Site not found</h1>");
      expect(unknown.body).not.toContain("nginx");
    }
    await putRoutes(b, agentB, [
      siteRoute(1),
      { siteId: "site2", domains: ["down.example.test"], target: { address: "127.0.20.3", port: 18299 }, epoch: 1, paused: false },
      { siteId: "site3", domains: ["nowhere.example.test"], target: null, epoch: 1, paused: false },
    ]);
    // A GET waits in the hold service for the backend to come back (B's hold lasts 1.5 s here),
    // then is told the server is unreachable, with a Retry-After.
    let started = Date.now();
    const down = await front(b, "down.example.test", "/");
    expect(down.status).toBe(503);
    expect(down.headers["retry-after"]).toBe("5");
    expect(down.body).toContain("<h1>Site temporarily unreachable</h1>");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    // A POST is not tried again (it may have run) and gets the 502 page at once.
    started = Date.now();
    const downPost = await front(b, "down.example.test", "/form", { method: "POST", body: "a=1" });
    expect(downPost.status).toBe(502);
    expect(downPost.body).toContain("<h1>Site temporarily unreachable</h1>");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await front(b, "nowhere.example.test", "/")).status).toBe(404);
    const loop = await front(b, domain, "/", { headers: { "x-edge": a.address } });
    expect(loop.status).toBe(508);
    await putRoutes(b, agentB, [siteRoute(1)]);
  });

  it("refuses a stale epoch and keeps serving the route it has", async () => {
    await putRoutes(b, agentB, [siteRoute(2)]);
    const stale = await putRoutes(b, agentB, [siteRoute(1, { target: { address: "127.0.20.3", port: 18299 } })]);
    expect(stale).toEqual({ ok: false, applied: 0, stale: [{ siteId: "site1", have: 2, got: 1 }], conflicts: [], reloaded: false });
    expect((await agentCall(api(b, agentB), "GET", "/v1/routes")).json.routes).toEqual([siteRoute(2)]);
    const res = await front(b, domain, "/info.php");
    expect(res.status).toBe(200);
    expect(res.body).toContain(`edge=${b.address}`);
  });

  it("holds a paused site's requests (a POST body too) and releases them to the site when it comes back", async () => {
    await putRoutes(a, agentA, [siteRoute(3, { paused: true })]);
    const body = Buffer.alloc(1024 * 1024, "x");
    const get = track(front(a, domain, "/info.php", { timeoutMs: 30_000 }));
    const post = track(front(a, domain, "/info.php", { method: "POST", body, headers: { "content-type": "application/octet-stream" }, timeoutMs: 30_000 }));
    await waitFor("two requests to be held", async () => (await agentCall(api(a, agentA), "GET", "/v1/routes")).json.held === 2);
    expect(get.settled()).toBe(false);
    expect(post.settled()).toBe(false);

    expect(await putRoutes(a, agentA, [siteRoute(4)])).toMatchObject({ ok: true, applied: 1 });
    const [released, posted] = await Promise.all([get.promise, post.promise]);
    expect(released.status).toBe(200);
    expect(released.body).toBe(`addr=${client} edge=${a.address} host=${domain} proto=http len=0`);
    expect(posted.status).toBe(200);
    expect(posted.body).toContain(`len=${body.length}`);
    expect((await agentCall(api(a, agentA), "GET", "/v1/routes")).json.held).toBe(0);
  });

  it("answers 503 with Retry-After when a paused site does not come back in time", async () => {
    await putRoutes(b, agentB, [siteRoute(5, { paused: true })]);
    const started = Date.now();
    const res = await front(b, domain, "/info.php", { timeoutMs: 30_000 });
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(res.body).toContain("<h1>Site being moved</h1>");
    // B's agent holds for 1.5 s in this test.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    await putRoutes(b, agentB, [siteRoute(5)]);
    expect((await front(b, domain, "/hello.html")).status).toBe(200);
  });

  it("answers held requests with 503 when the agent stops, and a restarted agent keeps its routes from disk", async () => {
    await putRoutes(a, agentA, [siteRoute(6, { paused: true })]);
    const held = track(front(a, domain, "/info.php", { timeoutMs: 30_000 }));
    await waitFor("a request to be held", async () => (await agentCall(api(a, agentA), "GET", "/v1/routes")).json.held === 1);
    await agentA.close();
    const answered = await held.promise;
    expect(answered.status).toBe(503);
    expect(answered.headers["retry-after"]).toBe("5");

    // While the agent is down, edge.conf is set back to "no routes" (as if it had been lost):
    // the restarted agent must bring it back from etc/routes.json.
    await writeFile(a.edgeConf, renderEdgeConf(a, []));
    agentA = await startAgent(a, 20_000);
    expect((await agentCall(api(a, agentA), "GET", "/v1/routes")).json.routes).toEqual([siteRoute(6, { paused: true })]);
    expect(await readFile(a.edgeConf, "utf8")).toBe(renderEdgeConf(a, [siteRoute(6, { paused: true })]));
    // The epochs came back too: fencing survives the restart.
    expect((await putRoutes(a, agentA, [siteRoute(5)])).stale).toEqual([{ siteId: "site1", have: 6, got: 5 }]);
    await putRoutes(a, agentA, [siteRoute(7)]);
    const res = await front(a, domain, "/info.php");
    expect(res.status).toBe(200);
    expect(res.body).toContain(`edge=${a.address}`);
  });

  it("holds a GET whose backend refuses connections and sends it to the site's new node when the route table moves it", async () => {
    // Site1 lives on a node that died (nothing listens there), as in the ~second before a failover.
    await putRoutes(a, agentA, [siteRoute(8, { target: deadTarget })]);
    const get = track(front(a, domain, "/info.php", { timeoutMs: 30_000 }));
    const head = track(front(a, domain, "/hello.html", { method: "HEAD", timeoutMs: 30_000 }));
    await waitFor("a GET and a HEAD to wait", async () => (await agentCall(api(a, agentA), "GET", "/v1/routes")).json.held === 2);
    // A POST in the same window is not held: it gets the 502 page at once.
    const started = Date.now();
    const post = await front(a, domain, "/info.php", { method: "POST", body: "a=1" });
    expect(post.status).toBe(502);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(get.settled()).toBe(false);

    // The failover's release: the site is on A's own backend now, at a higher epoch.
    await putRoutes(a, agentA, [siteRoute(9)]);
    const [released, headed] = await Promise.all([get.promise, head.promise]);
    expect(released.status).toBe(200);
    // The client's address and the edge it came through are kept across the wait.
    expect(released.body).toBe(`addr=${client} edge=${a.address} host=${domain} proto=http len=0`);
    expect(headed.status).toBe(200);
  });

  it("holds a GET whose backend refuses connections and sends it to the same backend once it takes connections again (no new route)", async () => {
    const back = "back.example.test";
    await putRoutes(b, agentB, [siteRoute(9), { siteId: "site2", domains: [back], target: deadTarget, epoch: 1, paused: false }]);
    // B's hold lasts 1.5 s: the backend comes back well within it.
    const get = track(front(b, back, "/", { timeoutMs: 30_000 }));
    await waitFor("the GET to wait", async () => (await agentCall(api(b, agentB), "GET", "/v1/routes")).json.held === 1);
    const server = http.createServer((req, res) => res.end(`back: ${req.headers.host} from ${String(req.headers["x-edge"])}`));
    await new Promise<void>((r) => server.listen(deadTarget.port, deadTarget.address, r));
    try {
      const res = await get.promise;
      expect(res.status).toBe(200);
      expect(res.body).toBe(`back: ${back} from ${b.address}`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    await putRoutes(b, agentB, [siteRoute(9)]);
  });

  it("holds a GET whose backend takes no connection (its link is down) and sends it on once it does", { timeout: 60_000 }, async () => {
    // nftables drops what is sent to the backend: connections go unanswered, as to a node cut off.
    const table = "shoal_test_edge_blackhole";
    const nft = (...args: string[]) => runCommand("/usr/sbin/nft", args);
    await nft("delete", "table", "inet", table).catch(() => undefined);
    await nft("add", "table", "inet", table);
    const server = http.createServer((_req, res) => res.end("reached at last"));
    await new Promise<void>((r) => server.listen(cutTarget.port, cutTarget.address, r));
    try {
      await nft("add", "chain", "inet", table, "input", "{ type filter hook input priority 0; policy accept; }");
      await nft("add", "rule", "inet", table, "input", "ip", "daddr", cutTarget.address, "tcp", "dport", String(cutTarget.port), "drop");
      await putRoutes(a, agentA, [siteRoute(9), { siteId: "site2", domains: ["cut.example.test"], target: cutTarget, epoch: 1, paused: false }]);
      const started = Date.now();
      const get = track(front(a, "cut.example.test", "/", { timeoutMs: 40_000 }));
      // The front door's two tries time out connecting (2 s each), then the GET waits.
      await waitFor("the GET to wait", async () => (await agentCall(api(a, agentA), "GET", "/v1/routes")).json.held === 1, { timeoutMs: 15_000 });
      expect(get.settled()).toBe(false);
      await nft("delete", "table", "inet", table);
      const res = await get.promise;
      expect(res.status).toBe(200);
      expect(res.body).toBe("reached at last");
      console.log(`a GET to a backend that took no connection: answered ${Date.now() - started} ms after it was sent, once the link was back`);
    } finally {
      await nft("delete", "table", "inet", table).catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    await putRoutes(a, agentA, [siteRoute(9)]);
  });
});
