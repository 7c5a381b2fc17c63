import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db";
import { callerFor } from "../helpers/fixtures";
import { startCluster, type Cluster } from "./harness";
import { operationSucceeded } from "./operations";

// The cluster as npm start runs it: two control workers and every agent under scripts/supervise.sh.
// A control worker and the agent of the node that serves a site are killed with -9, nobody helps:
// both are back within 5 s (the worker consuming again, the agent answering and heartbeating), the
// site answers every request through both front doors meanwhile, and the control plane then
// installs another site as usual. The times are printed.

let cluster: Cluster;
const world = () => cluster.world!;
const asA = () => callerFor(world().users.customerA);

beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, workers: 2, supervised: true });
});

afterAll(async () => {
  await cluster?.stop();
});

const countIn = async (kind: "agent" | "worker", index: number, text: string) => (await cluster.logTail(kind, index, 100_000)).split(text).length - 1;

describe("a supervised cluster", () => {
  it("brings back a control worker and an agent killed with -9 within 5 s, serving throughout", async () => {
    const d = await asA().domain.create({ name: "supervised.test" });
    const site = await asA().site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    await operationSucceeded(cluster, site.operationId);
    const live = await db.placement.findFirstOrThrow({ where: { siteId: site.id, role: "PRIMARY" }, select: { node: { select: { name: true } } } });
    const liveIndex = Number(live.node.name.replace("node-", ""));

    // Requests through every front door all along.
    let probing = true;
    const answers: number[] = [];
    const probe = (async () => {
      while (probing) {
        for (const node of cluster.nodes) answers.push((await cluster.edgeGet(node.index, "supervised.test").catch(() => ({ status: 0 }))).status);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    try {
      // A control worker.
      const worker = cluster.supervisedPid("worker", 1)!;
      const startedBefore = await countIn("worker", 1, "control worker started");
      const workerKilledAt = Date.now();
      process.kill(worker, "SIGKILL");
      await cluster.waitFor("the worker's replacement to consume", async () => (await countIn("worker", 1, "control worker started")) > startedBefore, { timeoutMs: 10_000, intervalMs: 20 });
      const workerBackMs = Date.now() - workerKilledAt;
      expect(cluster.supervisedPid("worker", 1)).not.toBe(worker);
      expect(await cluster.logTail("worker", 1)).toMatch(/control-1 exited \(signal SIGKILL\); restarting in 0\.5 s/);

      // The agent of the node that serves the site.
      const agent = cluster.supervisedPid("agent", liveIndex)!;
      const agentKilledAt = Date.now();
      process.kill(agent, "SIGKILL");
      await cluster.waitFor(
        "the agent's replacement to answer",
        async () => {
          const pid = cluster.supervisedPid("agent", liveIndex);
          if (pid === undefined || pid === agent) return false;
          const res = await cluster.agentFetch(liveIndex, "/v1/health", { signal: AbortSignal.timeout(1_000) }).catch(() => null);
          return res?.status === 200;
        },
        { timeoutMs: 10_000, intervalMs: 20 },
      );
      const agentBackMs = Date.now() - agentKilledAt;
      const answeredAt = new Date();
      await cluster.waitFor("its next heartbeat", async () => ((await db.node.findFirstOrThrow({ where: { name: live.node.name } })).lastHeartbeatAt ?? new Date(0)) > answeredAt, { timeoutMs: 10_000 });
      const heartbeatMs = Date.now() - agentKilledAt;
      console.log(`supervised cluster: control-1 consuming again ${workerBackMs} ms after kill -9; ${live.node.name}'s agent answering after ${agentBackMs} ms, heartbeat after ${heartbeatMs} ms`);
      expect(workerBackMs).toBeLessThan(5_000);
      expect(agentBackMs).toBeLessThan(5_000);
    } finally {
      probing = false;
      await probe;
    }
    const failed = answers.filter((s) => s !== 200);
    console.log(`supervised cluster: ${answers.length} requests through the front doors meanwhile, ${failed.length} not 200`);
    expect(failed).toEqual([]);

    // The control plane carries on: another site is installed and served.
    const d2 = await asA().domain.create({ name: "after-kills.test" });
    const site2 = await asA().site.create({ domainId: d2.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    await operationSucceeded(cluster, site2.operationId);
    for (const node of cluster.nodes) expect((await cluster.edgeGet(node.index, "after-kills.test")).status, node.name).toBe(200);
  });
});
