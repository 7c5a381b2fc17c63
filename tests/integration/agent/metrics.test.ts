import { existsSync } from "node:fs";
import { appendFile, mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeMetricsSchema } from "../../../server/contract/node-metrics";
import { converge } from "../../../worker/agent/converge";
import { nginxPid, reopenNginxLogs } from "../../../worker/agent/drivers/nginx";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { waitFor } from "../../../worker/agent/wait-for";
import { destroyNode, makeNode } from "./node-harness";
import { signedHeaders } from "../../../server/contract/agent-signature";
import { agentUrl, controlTransport } from "../../../server/contract/agent-transport";
import { testNodeTls } from "../../helpers/cluster-tls";

// GET /v1/metrics on a real agent in front of a real node: behind the bearer check like every
// route, a report the control plane's schema accepts, per-site rates from the front door's access
// log as it grows, and the node's nginx reopening its logs after a rotation.

const address = "127.0.22.10";
const secret = "s3cret-for-the-metrics-test-0123456789abc";
let node: NodeRoot;
let agent: AgentServer;

async function getMetrics(token: string | null = secret): Promise<{ status: number; json: any }> {
  const res = await controlTransport().fetch(agentUrl({ address, port: agent.port }, "/v1/metrics"), {
    headers: token === null ? {} : signedHeaders(token, "GET", "/v1/metrics"),
  });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  node = await makeNode(address, 18122, 13122);
  agent = await startAgentServer({ host: address, port: 17122, secret, nodeRoot: node, tls: await testNodeTls(node) });
});

afterAll(async () => {
  await agent?.close();
  if (node) await destroyNode(node);
}, 60_000);

describe("GET /v1/metrics", () => {
  it("needs the node's token", async () => {
    expect((await getMetrics(null)).status).toBe(401);
    expect((await getMetrics("x".repeat(secret.length))).status).toBe(401);
  });

  it("reports a sample the control plane accepts, even before the first converge", async () => {
    const { status, json } = await getMetrics();
    expect(status).toBe(200);
    const metrics = nodeMetricsSchema.parse(json);
    expect(metrics.sites).toEqual({});
    expect(metrics.disk.totalMb).toBeGreaterThan(0);
    expect(metrics.memory.agentRssMb).toBeGreaterThan(0);
    expect(Math.abs(Date.parse(metrics.at) - Date.now())).toBeLessThan(5_000);
  });

  it("counts the front door's requests per host over ten seconds, reading only new lines", async () => {
    const log = node.edgeAccessLog;
    await mkdir(path.dirname(log), { recursive: true });
    const now = Date.now() / 1000;
    const lines = (host: string, n: number, status = 200) =>
      Array.from({ length: n }, () => `${now.toFixed(3)} ${host} ${status} 0.002\n`).join("");
    await appendFile(log, lines("blog.example.test", 30) + lines("shop.example.test", 5, 502));
    const first = nodeMetricsSchema.parse((await getMetrics()).json);
    expect(first.sites).toEqual({
      "blog.example.test": { requestsPerSec: 3, errorsPerSec: 0 },
      "shop.example.test": { requestsPerSec: 0.5, errorsPerSec: 0.5 },
    });
    await appendFile(log, lines("blog.example.test", 10));
    const second = nodeMetricsSchema.parse((await getMetrics()).json);
    expect(second.sites["blog.example.test"]).toEqual({ requestsPerSec: 4, errorsPerSec: 0 });
    // usagePct is over about the last second (metrics.ts CpuWindow), a percentage.
    expect(second.cpu.usagePct).toBeLessThanOrEqual(100);
  });

  it("the node's nginx reopens its logs, so a renamed log is recreated", async () => {
    const results = await converge(node, { accounts: [], sites: [], databases: [] });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(await nginxPid(node)).not.toBeNull();
    const errorLog = path.join(node.logDir, "nginx-error.log");
    await waitFor("nginx's error log", () => existsSync(errorLog));
    await rename(errorLog, `${errorLog}.1`);
    await reopenNginxLogs(node);
    await waitFor("nginx to recreate its error log", () => existsSync(errorLog));
    expect(await nginxPid(node)).not.toBeNull();
  });
});
