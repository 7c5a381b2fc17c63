import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOpenLoopInWorker, type OpenLoopResult } from "../../bench/lib/open-loop";
import { formatSummary, isFailure } from "../../bench/lib/open-loop-summary";
import { db } from "../../server/db";
import { startNginx, stopNginx } from "../../worker/agent/drivers/nginx";
import { callerFor } from "../helpers/fixtures";
import { request } from "../integration/edge/edge-harness";
import { clusterPorts, startCluster, type Cluster, type ClusterNode } from "./harness";
import { failoverSucceeded, livePlacement, operationSucceeded } from "./operations";

// A node death costs no reads, on a real 3-node cluster (btrfs, as npm start runs it). GETs go
// at a steady rate through the front door of the node that holds no copy of a static site; the
// site's live node is killed (kill -9 of every process it has). The front door cannot reach the
// site's backend, so each GET waits in its hold service and is answered by the new live node
// once the failover has moved the site: every GET is answered 2xx. A POST in the same window is
// not held (it may have run) and gets the 502 page at once. Then the new live node's nginx stops
// and starts again, with no failover (its agent answers throughout): the GETs meanwhile wait and
// are answered by that same node once it takes connections again.

let cluster: Cluster;
const host = "reads.node-loss.test";

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, workers: 1, storage: "btrfs", workerEnv: { SHOAL_HOLD_DOWN_MS: "4000", SHOAL_SNAPSHOT_TICK_MS: "1000" } });
});
afterAll(async () => {
  await cluster?.stop();
});

const nodeNamed = (name: string) => cluster.nodes.find((n) => n.name === name)!;
const heldAt = async (edge: ClusterNode) => ((await (await cluster.agentFetch(edge, "/v1/routes")).json()) as { held: number }).held;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a run of GETs says: failures, and when the first 2xx to a GET sent after `since` came. */
function describeRun(result: OpenLoopResult, since: number) {
  const failed = result.records.filter(isFailure);
  const firstOk = Math.min(...result.records.filter((r) => r.scheduledAt > since && !isFailure(r)).map((r) => r.scheduledAt + r.latencyMs));
  const failures = failed.slice(0, 5).map((r) => `${r.status ?? r.error} at ${Math.round(r.scheduledAt - since)} ms`);
  return { failed: failed.length, firstOkAfter: firstOk - since, text: `${formatSummary(result.summary)}${failures.length ? `; failures: ${failures.join(", ")}` : ""}` };
}

describe("a node death costs no reads", () => {
  let siteId = "";
  let edge: ClusterNode;

  it("a live node killed under steady GETs through another node's front door: every GET is answered 2xx, a POST meanwhile gets 502 at once", async () => {
    const world = cluster.world!;
    await db.plan.update({ where: { id: world.customers.a.plan.id }, data: { snapshotCadenceSec: 1 } });
    const asA = callerFor(world.users.customerA);
    const d = await asA.domain.create({ name: host });
    const site = await asA.site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    siteId = site.id;
    await operationSucceeded(cluster, site.operationId);
    const live = await livePlacement(site.id);
    const liveNode = nodeNamed(live.node.name);
    const replica = await db.placement.findFirstOrThrow({ where: { siteId: site.id, role: "REPLICA" }, include: { node: true } });
    edge = cluster.nodes.find((n) => n.name !== live.node.name && n.name !== replica.node.name)!;
    await writeFile(path.join(liveNode.root.siteDir(world.customers.a.account.username, site.id), "public", "hello.html"), "hello\n");
    const wroteAt = new Date();
    await cluster.waitFor("a snapshot with hello.html on the replica", async () => (await db.snapshot.count({ where: { siteId: site.id, nodeId: replica.nodeId, takenAt: { gt: wroteAt } } })) > 0, { timeoutMs: 60_000 });
    expect((await cluster.edgeGet(edge.index, host, "/hello.html")).status).toBe(200);

    const load = runOpenLoopInWorker({ target: { host: edge.address, port: clusterPorts.http }, hostHeader: host, path: "/hello.html", ratePerSec: 50, durationMs: 20_000, timeoutMs: 35_000, retryStaleConnection: true });
    await sleep(2_000);
    // No failover starts while the control worker is away: the window between the death and the
    // failover lasts as long as this test needs to look into it, whatever the machine's load.
    await cluster.killWorker(1);
    const killedAt = await cluster.signalNode(liveNode.index, "SIGKILL");
    const postStarted = Date.now();
    const post = await request({ address: edge.address, port: clusterPorts.http, host, path: "/form", method: "POST", body: "a=1" });
    const postMs = Date.now() - postStarted;
    expect(post.status).toBe(502);
    expect(post.body).toContain("<h1>Site temporarily unreachable</h1>");
    expect(postMs).toBeLessThan(1_000);
    // Meanwhile the GETs wait at the front door's hold service.
    const waiting = await cluster.waitFor("GETs to wait in the hold service", async () => {
      const n = await heldAt(edge);
      return n >= 10 ? n : undefined;
    });
    await cluster.startWorker();
    const { op } = await failoverSucceeded(cluster, site.id, 60_000);
    const result = await load;
    const run = describeRun(result, killedAt);
    console.log(
      `node kill -9 under 50 GETs/s through ${edge.name}'s front door: ${run.text}; ${waiting} were waiting before the failover, the first 2xx to a GET sent after the kill came ${run.firstOkAfter.toFixed(0)} ms after it (the control worker was away for part of it); a POST meanwhile got ${post.status} in ${postMs} ms`,
    );
    expect((await livePlacement(site.id)).node.name).toBe(replica.node.name);
    expect(op.status).toBe("SUCCEEDED");
    expect(run.failed).toBe(0);
    expect(result.summary.ok2xx).toBe(result.summary.scheduled);
    expect(await heldAt(edge)).toBe(0);
  });

  it("a live node whose nginx goes away and comes back with no failover gets the GETs that waited meanwhile", async () => {
    const live = await livePlacement(siteId);
    const liveNode = nodeNamed(live.node.name);
    const failoversBefore = await db.operation.count({ where: { targetId: siteId, kind: "site.failover" } });
    const load = runOpenLoopInWorker({ target: { host: edge.address, port: clusterPorts.http }, hostHeader: host, path: "/hello.html", ratePerSec: 50, durationMs: 8_000, timeoutMs: 35_000, retryStaleConnection: true });
    await sleep(1_500);
    // Its agent keeps answering the heartbeat: the node stays live and nothing is failed over.
    // nginx stops gracefully: its listeners close at once, its workers finish what they hold.
    const stoppedAt = Date.now();
    await stopNginx(liveNode.root);
    const waiting = await cluster.waitFor("GETs to wait in the hold service", async () => {
      const n = await heldAt(edge);
      return n >= 10 ? n : undefined;
    });
    await sleep(Math.max(0, stoppedAt + 2_000 - Date.now()));
    await startNginx(liveNode.root);
    const startedAt = Date.now();
    const result = await load;
    const run = describeRun(result, stoppedAt);
    // The waiting ones went once the hold service found the backend taking connections again.
    const late = result.records.filter((r) => r.scheduledAt >= stoppedAt && r.scheduledAt + r.latencyMs >= startedAt && !isFailure(r));
    console.log(`nginx of ${liveNode.name} away for ${startedAt - stoppedAt} ms under 50 GETs/s through ${edge.name}'s front door: ${run.text}; ${waiting} were waiting, the first 2xx to a GET sent after it went came ${run.firstOkAfter.toFixed(0)} ms after`);
    expect(run.failed).toBe(0);
    expect(late.length).toBeGreaterThanOrEqual(10);
    expect(await db.operation.count({ where: { targetId: siteId, kind: "site.failover" } })).toBe(failoversBefore);
    expect((await livePlacement(siteId)).node.name).toBe(liveNode.name);
    expect(await heldAt(edge)).toBe(0);
  });
});
