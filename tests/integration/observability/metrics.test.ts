import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as panelMetricsRoute } from "../../../app/metrics/route";
import { agentSecret } from "../../../server/contract/cluster-secrets";
import { db } from "../../../server/db";
import { scrapePanelMetrics } from "../../../server/observability/panel-metrics";
import type { MetricsServer } from "../../../server/observability/metrics-http";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { testNodeTls } from "../../helpers/cluster-tls";
import { startControlMetrics } from "../../../worker/control/control-metrics";
import { handleOutboxEvent } from "../../../worker/control/handle-outbox-event";
import { reconcileNode } from "../../../worker/control/reconcile-node";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { destroyNode, httpGet, makeNode } from "../agent/node-harness";
import { scrapeToken } from "../../../server/contract/agent-signature";
import { controlTlsDir } from "../../../server/contract/agent-transport";
import { readTlsIdentity } from "../../../server/contract/cluster-tls";

// /metrics of the three kinds of process, scraped while a site is installed for real: the panel's
// site.create call, the outbox event's placement, the reconcile's converge on a real agent (nginx,
// php-fpm) and the operation settled with a serve check through the front door. The control
// worker's series are those of this process (reconcileNode runs here, as a worker would run it),
// served by the same startControlMetrics the worker calls. Loopback 127.0.31.x is this file's:
// .1 is the node, .2 stands for another machine (only 127.0.0.1 counts as loopback).

const clusterSecret = "cluster-secret-for-metrics-tests-0123456789";
const address = "127.0.31.1";
const elsewhere = "127.0.31.2";
const agentPort = 17931;
const nodeName = `itest-${randomBytes(3).toString("hex")}`;
const secret = agentSecret(clusterSecret, nodeName);
const controlToken = "control-metrics-token-0123456789";
let node: NodeRoot;
let agent: AgentServer | null = null;
let control: MetricsServer | null = null;
let nodeId: string;
let world: Awaited<ReturnType<typeof makeWorld>>;

type Scrape = { status: number; body: string };

/** `tls`: an agent's /metrics, over HTTPS as Prometheus scrapes it: trusting the cluster CA, with no client certificate. */
function scrape(host: string, port: number, opts: { from?: string; token?: string; tls?: boolean } = {}): Promise<Scrape> {
  const get = opts.tls ? (o: https.RequestOptions, cb: (res: http.IncomingMessage) => void) => https.get({ ...o, ca: readTlsIdentity(controlTlsDir()).ca }, cb) : http.get;
  return new Promise((resolve, reject) => {
    const req = get(
      { host, port, path: "/metrics", localAddress: opts.from, agent: false, timeout: 10_000, headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("scrape timed out")));
    req.on("error", reject);
  });
}

/** The value of one series in a Prometheus text exposition (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) total += Number(m[3]);
  }
  return total;
}

const panel = async (headers: Record<string, string>) => {
  const res = await panelMetricsRoute(new Request("http://panel.test/metrics", { headers }));
  return { status: res.status, body: await res.text() };
};
const agentScrape = () => scrape(address, agentPort, { tls: true });
const controlScrape = () => scrape("127.0.0.1", control!.port);

beforeAll(async () => {
  world = await makeWorld();
  node = await makeNode(address, 18931, 13931, { backendPort: 18932, holdPort: 18933 });
  nodeId = (await db.node.create({ data: { name: nodeName, address, agentPort, httpPort: 18931, backendPort: 18932, status: "HEALTHY", lastHeartbeatAt: new Date() } })).id;
  agent = await startAgentServer({ host: address, port: agentPort, secret, nodeRoot: node, tls: await testNodeTls(node) });
  control = await startControlMetrics({
    db,
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    prefix: `itest-metrics-${randomBytes(3).toString("hex")}`,
    workers: [],
    log: () => {},
    env: { SHOAL_METRICS_PORT: "0", SHOAL_METRICS_TOKEN: controlToken },
  });
}, 60_000);

afterAll(async () => {
  await control?.close();
  await agent?.close();
  await destroyNode(node);
}, 60_000);

describe("/metrics", () => {
  it("moves the panel's, the control worker's and the agent's series when a site is installed", async () => {
    const before = { panel: (await panel({ "x-forwarded-for": "127.0.0.1" })).body, control: (await controlScrape()).body, agent: (await agentScrape()).body };
    const asA = callerFor(world.users.customerA);

    const domain = await asA.domain.create({ name: "metrics-one.test" });
    const site = await asA.site.create({ domainId: domain.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    // What the outbox consumer and the reconcile queue do with the site's event.
    const nodes = new Set<string>();
    await handleOutboxEvent(db, { outboxId: "1", topic: "site.reconcile", aggregateType: "Site", aggregateId: site.id }, async (ids) => ids.forEach((i) => nodes.add(i)), async () => void nodes.add(nodeId));
    for (const id of nodes) await reconcileNode({ db, clusterSecret }, id, false);
    expect((await db.operation.findFirstOrThrow({ where: { targetId: site.id, kind: "site.create" } })).status).toBe("SUCCEEDED");
    expect((await httpGet(node, "metrics-one.test", "/")).status).toBe(200);

    const after = { panel: (await panel({ "x-forwarded-for": "127.0.0.1" })).body, control: (await controlScrape()).body, agent: (await agentScrape()).body };
    const rise = (kind: keyof typeof after, name: string, labels: Record<string, string> = {}) => sample(after[kind], name, labels) - sample(before[kind], name, labels);

    expect(rise("panel", "shoal_panel_requests_total", { path: "site.create", code: "OK" })).toBe(1);
    expect(rise("panel", "shoal_panel_request_duration_seconds_count", { path: "site.create" })).toBe(1);
    expect(rise("control", "shoal_operations_total", { kind: "site.create", outcome: "succeeded" })).toBe(1);
    expect(rise("control", "shoal_reconcile_duration_seconds_count", { outcome: "applied" })).toBeGreaterThanOrEqual(1);
    expect(sample(after.control, "shoal_node_heartbeat_age_seconds", { node: nodeName })).toBeGreaterThanOrEqual(0);
    expect(after.control).toMatch(new RegExp(`^shoal_node_heartbeat_age_seconds\\{node="${nodeName}"\\} `, "m"));
    expect(after.control).toMatch(/^shoal_queue_jobs\{queue="reconcile",state="waiting"\} 0$/m);
    // The serve check's GET and ours went through the front door; nginx writes its access log
    // within a second (flush=1s), and the next scrape reads it.
    const deadline = Date.now() + 5_000;
    while (rise("agent", "shoal_frontdoor_requests_total", { code: "200" }) < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      after.agent = (await agentScrape()).body;
    }
    expect(rise("agent", "shoal_frontdoor_requests_total", { code: "200" })).toBeGreaterThanOrEqual(2);
    expect(after.agent).toMatch(/^shoal_edge_held_requests 0$/m);
  });

  it("refuses a scrape from another machine without the token, and answers it with the token", async () => {
    // The agent: its scrape token, derived from the node's secret; the secret itself travels nowhere.
    expect((await scrape(address, agentPort, { from: elsewhere, tls: true })).status).toBe(401);
    expect((await scrape(address, agentPort, { from: elsewhere, token: "not-the-secret", tls: true })).status).toBe(401);
    expect((await scrape(address, agentPort, { from: elsewhere, token: secret, tls: true })).status).toBe(401);
    const withSecret = await scrape(address, agentPort, { from: elsewhere, token: scrapeToken(secret), tls: true });
    expect(withSecret.status).toBe(200);
    expect(withSecret.body).toContain("shoal_frontdoor_requests_total");

    // The control worker's server listens on loopback only; bound elsewhere it wants its token.
    const open = await startControlMetrics({ db, redisUrl: "redis://127.0.0.1:6379", prefix: "unused", workers: [], log: () => {}, env: { SHOAL_METRICS_PORT: "0", SHOAL_METRICS_HOST: address, SHOAL_METRICS_TOKEN: controlToken } });
    try {
      expect((await scrape(address, open!.port, { from: elsewhere })).status).toBe(401);
      expect((await scrape(address, open!.port, { from: elsewhere, token: "wrong-token-0123456789" })).status).toBe(401);
      expect((await scrape(address, open!.port, { from: elsewhere, token: controlToken })).status).toBe(200);
    } finally {
      await open!.close();
    }

    // The panel: a caller that is not this machine's loopback, by X-Forwarded-For as the panel reads it.
    expect((await panel({ "x-forwarded-for": "203.0.113.9" })).status).toBe(401);
    expect((await panel({ "x-forwarded-for": "127.0.0.1, 203.0.113.9" })).status).toBe(401);
    expect((await panel({})).status).toBe(401);
    const token = "panel-metrics-token-0123456789";
    expect((await scrapePanelMetrics(new Headers({ "x-forwarded-for": "203.0.113.9", authorization: `Bearer ${token}` }), token)).status).toBe(200);
    expect((await scrapePanelMetrics(new Headers({ "x-forwarded-for": "203.0.113.9", authorization: "Bearer wrong-token-0123456789" }), token)).status).toBe(401);
  });
});
