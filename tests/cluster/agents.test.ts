import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeMetricsSchema } from "../../server/contract/node-metrics";
import { db } from "../../server/db";
import { startCluster, type Cluster } from "./harness";
import { signedHeaders } from "../../server/contract/agent-signature";

// Three real agents, no control worker: each answers only its own token, reports metrics the
// control plane accepts, and a restart of the agent leaves its node's front door serving
// (docs/architecture.md, invariant 5: the data plane does not depend on the agent process).

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, workers: 0, seed: false });
});

afterAll(async () => {
  await cluster?.stop();
});

const signedBy = (secret: string, urlPath: string) => ({ headers: signedHeaders(secret, "GET", urlPath) });

describe("a three-node cluster's agents", () => {
  it("are registered as nodes with their addresses and ports", async () => {
    const rows = await db.node.findMany({ orderBy: { name: "asc" }, select: { name: true, address: true, agentPort: true, httpPort: true } });
    expect(rows).toEqual(cluster.nodes.map((n) => ({ name: n.name, address: n.address, agentPort: 17400, httpPort: 18080 })));
  });

  it("answer /v1/health with their own secret and 401 with another node's", async () => {
    for (const node of cluster.nodes) {
      const ok = await cluster.agentFetch(node, "/v1/health");
      expect(ok.status, node.name).toBe(200);
      expect(await ok.json()).toMatchObject({ ok: true });
      const other = cluster.nodes[node.index % cluster.nodes.length]!;
      expect(other.secret).not.toBe(node.secret);
      const refused = await cluster.agentFetch(node, "/v1/health", signedBy(other.secret, "/v1/health"));
      expect(refused.status, `${node.name} with ${other.name}'s secret`).toBe(401);
      await refused.body?.cancel();
    }
  });

  it("report /v1/metrics that nodeMetricsSchema accepts", async () => {
    for (const node of cluster.nodes) {
      const res = await cluster.agentFetch(node, "/v1/metrics");
      expect(res.status, node.name).toBe(200);
      const metrics = nodeMetricsSchema.parse(await res.json());
      expect(metrics.cpu.cores).toBeGreaterThan(0);
      expect(metrics.disk.freeMb).toBeGreaterThan(0);
    }
  });

  it("keep the node's front door serving across an agent restart", async () => {
    const node = cluster.nodes[1]!;
    // A fresh node runs no nginx until its first spec: converge an empty one.
    const put = await cluster.agentFetch(node, "/v1/spec", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ accounts: [], sites: [], databases: [] }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ ok: true, failed: 0 });

    const page = async () => {
      const { status, body } = await cluster.edgeGet(node, "nobody-hosts-this.test", "/");
      return { status, body };
    };
    const before = await page();
    expect(before.status).toBe(404);
    expect(before.body).toMatch(/<html/i);

    // Served by the same nginx while the agent is dead and after it came back.
    await cluster.killAgent(node.index, "SIGKILL");
    expect(await page()).toEqual(before);
    await cluster.restartAgent(node.index);
    expect(await page()).toEqual(before);
    const health = await cluster.agentFetch(node, "/v1/health");
    expect(((await health.json()) as { uptime: number }).uptime).toBeLessThan(30);

    // The restarted agent reads the front door's log from where it is, and sees this traffic.
    await cluster.waitFor("the front door's requests to show in the metrics", async () => {
      await cluster.edgeGet(node, "nobody-hosts-this.test", "/");
      const metrics = nodeMetricsSchema.parse(await (await cluster.agentFetch(node, "/v1/metrics")).json());
      return (metrics.sites["nobody-hosts-this.test"]?.requestsPerSec ?? 0) > 0;
    });
  });
});
