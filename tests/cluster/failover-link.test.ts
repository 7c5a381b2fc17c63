import { readlink, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findNodeMasters } from "../../scripts/cluster/stop-node";
import { db } from "../../server/db";
import { httpGet } from "../integration/agent/node-harness";
import { callerFor } from "../helpers/fixtures";
import { startCluster, type Cluster, type ClusterNode } from "./harness";
import { describeOperation, failoverSucceeded, livePlacement, operationSucceeded, stepTime } from "./operations";
import { newestRowBefore, recovery, startWriter, tickPhp, type EdgeGet } from "./site-writer";

// Failover when a node's network link is cut, on a real 3-node cluster in netns mode (every node
// in a network namespace of its own behind a bridge, tests/cluster/netns.ts; btrfs, as npm start
// runs it). A writer adds a timestamped row to the site's database every 100 ms through another
// node's edge; then the live node's link goes down inside its namespace. Unlike a kill -9
// (failover.test.ts) nothing is refused: every packet to it goes unanswered, and its nginx,
// php-fpm and MariaDB keep running, holding what was written there. The site must serve again
// from its replica through a surviving edge; the test prints the recovery time and the age of
// the newest row that survived. Then the link comes back: the node is fenced (never serves the
// site as live again), rejoins as a replica, and what it held beyond the promoted copy is kept
// as a DIVERGENT snapshot.

let cluster: Cluster;
const host = "failover-link.test";
const holdDownMs = 4_000;

beforeAll(async () => {
  cluster = await startCluster({
    nodes: 3,
    workers: 1,
    storage: "btrfs",
    netns: true,
    workerEnv: { SHOAL_HOLD_DOWN_MS: String(holdDownMs), SHOAL_SNAPSHOT_TICK_MS: "1000" },
  });
}, 120_000);
afterAll(async () => {
  // A link left down by a failed test: bring it back so the teardown reaches every node.
  for (const n of cluster?.nodes ?? []) await cluster.restoreLink(n.index).catch(() => undefined);
  await cluster?.stop();
}, 60_000);

const finished = (operationId: string, timeoutMs = 60_000) => operationSucceeded(cluster, operationId, timeoutMs);

const via = (edge: ClusterNode): EdgeGet => (urlPath) => cluster.edgeGet(edge.index, host, urlPath);

/** The inode of a network namespace: /run/netns/<name> for a named one, /proc/<pid>/ns/net for a process's. */
const namespaceOf = async (pid: number) => /net:\[(\d+)\]/.exec(await readlink(`/proc/${pid}/ns/net`))?.[1];

describe("failover when a node's link is cut (netns mode)", () => {
  let siteId = "";
  let cutNode: ClusterNode;
  let promoted: ClusterNode;
  let survivor: ClusterNode;
  let cutAt = 0;
  let promotedEpoch = 0;

  it("the live node's link is cut: the site serves again from its replica; recovery time and newest surviving row", { timeout: 100_000 }, async () => {
    const world = cluster.world!;
    // Snapshots every second for this plan: it sets how much is lost.
    await db.plan.update({ where: { id: world.customers.a.plan.id }, data: { snapshotCadenceSec: 1 } });
    const asA = callerFor(world.users.customerA);
    const d = await asA.domain.create({ name: host });
    const site = await asA.site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    siteId = site.id;
    await finished(site.operationId);
    const live = await livePlacement(site.id);
    const liveNode = cluster.nodes.find((n) => n.name === live.node.name)!;
    const replica = await db.placement.findFirstOrThrow({ where: { siteId: site.id, role: "REPLICA" }, include: { node: true } });
    survivor = cluster.nodes.find((n) => n.name !== live.node.name && n.name !== replica.node.name)!;

    // The nodes really live in their namespaces: the live node's masters are in its own.
    const masters = await findNodeMasters(liveNode.root.root);
    expect(masters.length).toBeGreaterThan(0);
    const nsInode = String((await stat(`/run/netns/${liveNode.netns!}`)).ino);
    for (const m of masters) expect(await namespaceOf(m.pid)).toBe(nsInode);
    expect(await namespaceOf(process.pid)).not.toBe(nsInode);

    const docroot = path.join(liveNode.root.siteDir(world.customers.a.account.username, site.id), "public");
    await writeFile(path.join(docroot, "tick.php"), tickPhp);
    await cluster.waitFor("the site to take writes", async () => (await cluster.edgeGet(survivor.index, host, `/tick.php?at=${Date.now()}`)).status === 200);
    // The copy promoted later must hold tick.php: a snapshot begun after the site took a write.
    const tookWritesAt = new Date();
    await cluster.waitFor("a snapshot with tick.php on the replica", async () => (await db.snapshot.count({ where: { siteId: site.id, nodeId: replica.nodeId, takenAt: { gt: tookWritesAt } } })) > 0, { timeoutMs: 30_000 });

    const writer = startWriter(() => via(survivor));
    try {
      await new Promise((r) => setTimeout(r, 3_000));
      // Written on the node about to be cut off only, an instant before: divergent for sure.
      await writeFile(path.join(docroot, "last-words.txt"), "written just before the link went down\n");
      cutAt = await cluster.cutLink(liveNode.index);
      cutNode = liveNode;

      const after = await cluster.waitFor("the site to serve from another node", async () => {
        const p = await livePlacement(site.id);
        return p.node.name !== liveNode.name && writer.writes.some((w) => w.at > cutAt && w.ok) ? p : undefined;
      }, { timeoutMs: 45_000 }).catch((e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)}; ${writer.explain()}`);
      });
      await new Promise((r) => setTimeout(r, 1_000));
      await writer.stop();
      promoted = cluster.nodes.find((n) => n.name === after.node.name)!;
      promotedEpoch = after.epoch;

      const { recoveredAt, failed } = recovery(writer.writes, cutAt);
      const newest = await newestRowBefore(via(survivor), cutAt);
      const { op, all, report } = await failoverSucceeded(cluster, site.id);
      const nodeRow = await db.node.findUniqueOrThrow({ where: { name: liveNode.name } });
      console.log(
        `node link cut: site back after ${recoveredAt - cutAt} ms (${failed} of the writes every 100 ms failed meanwhile); ` +
          `newest surviving row written ${cutAt - newest} ms before the cut (snapshot cadence 1 s); ` +
          `failover steps ${op.steps.map((s) => `${s.kind} ${stepTime(s)}`).join(", ")}${report ? `\n${report}` : ""}`,
      );
      expect(all.filter((o) => o.createdAt.getTime() < cutAt).map(describeOperation)).toEqual([]);
      expect(after.node.name).toBe(replica.node.name);
      expect(after.epoch).toBe(live.epoch + 1);
      expect(nodeRow.status).toBe("DEAD");
      expect((await db.placement.findFirstOrThrow({ where: { siteId: site.id, nodeId: nodeRow.id } })).role).toBe("REPLICA");
      expect(recoveredAt - cutAt).toBeLessThan(20_000);
      expect(newest).toBeGreaterThan(cutAt - 10_000);
      // The cut is real: the node's front door does not answer (no refusal either: a timeout).
      await expect(httpGet(liveNode.root, host, "/last-words.txt", { timeoutMs: 1_000 })).rejects.toThrow();
      // Every edge that can be reached serves the promoted copy (tick.php came with the snapshot).
      for (const n of cluster.nodes.filter((x) => x !== liveNode)) {
        expect((await cluster.edgeGet(n.index, host, `/tick.php?before=${Date.now()}`)).status).toBe(200);
        expect((await cluster.edgeGet(n.index, host, "/last-words.txt")).body).not.toContain("written just before");
      }
    } finally {
      await writer.stop();
    }
  });

  it("the link comes back: the node is fenced, rejoins as a replica, and its divergent data is kept as a DIVERGENT snapshot", { timeout: 60_000 }, async () => {
    expect(cutNode, "the first test cut a node").toBeDefined();
    const cutId = (await db.node.findUniqueOrThrow({ where: { name: cutNode.name } })).id;
    // Watch the returning node all along: its placement must never be the live one again, and
    // what its edge answers for the file only its copy holds is recorded.
    const seen: { at: number; role: string; stale: boolean | null }[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const at = Date.now();
        const [placement, page] = await Promise.all([
          db.placement.findFirstOrThrow({ where: { siteId, nodeId: cutId } }),
          httpGet(cutNode.root, host, "/last-words.txt", { timeoutMs: 1_000 }).catch(() => null),
        ]);
        seen.push({ at, role: placement.role, stale: page ? page.body.includes("written just before") : null });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const restoredAt = Date.now();
    let healthyAt = 0;
    try {
      await cluster.restoreLink(cutNode.index);
      await cluster.waitFor(`${cutNode.name} to rejoin`, async () => (await db.node.findUniqueOrThrow({ where: { id: cutId } })).status === "HEALTHY", { timeoutMs: 40_000 });
      healthyAt = Date.now();
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      watching = false;
      await watcher;
    }
    const stale = seen.filter((s) => s.stale === true);
    console.log(
      `link restored: ${cutNode.name} HEALTHY again ${healthyAt - restoredAt} ms after the link came back (${healthyAt - cutAt} ms after the cut, hold-down ${holdDownMs} ms); ` +
        `its edge answered ${seen.filter((s) => s.stale !== null).length} of ${seen.length} probes meanwhile, ` +
        (stale.length === 0 ? "never with its own stale copy" : `${stale.length} with its own stale copy, the last ${stale[stale.length - 1]!.at - restoredAt} ms after the link came back`),
    );
    // Fenced: never the live placement again, and its edge never served its copy once it was back in.
    expect(seen.filter((s) => s.role === "PRIMARY")).toEqual([]);
    expect(stale.filter((s) => s.at >= healthyAt)).toEqual([]);
    expect((await livePlacement(siteId)).epoch).toBe(promotedEpoch);
    const placement = await db.placement.findFirstOrThrow({ where: { siteId, nodeId: cutId } });
    expect(placement.role).toBe("REPLICA");
    expect(placement.reason).toMatch(/kept as divergent-/);
    const divergent = await db.snapshot.findMany({ where: { siteId, kind: "DIVERGENT" }, include: { node: true } });
    // Kept on the node that wrote it and on the live node, where the customer can restore it.
    expect(divergent.map((s) => s.node!.name).sort()).toEqual([cutNode.name, promoted.name].sort());
    const listed = await callerFor(cluster.world!.users.customerA).site.list({ limit: 50 });
    expect(listed.items.find((x) => x.id === siteId)?.divergentAt).toBeInstanceOf(Date);

    // Its edge routes to the live copy now: a write through it lands there.
    const page = await cluster.waitFor(`${cutNode.name}'s front door`, () => cluster.edgeGet(cutNode.index, host, "/last-words.txt").catch(() => undefined));
    expect(page.body).not.toContain("written just before");
    const at = Date.now();
    const wrote = await cluster.edgeGet(cutNode.index, host, `/tick.php?at=${at}`);
    expect(wrote.status).toBe(200);
    expect(await newestRowBefore(via(survivor), at + 1)).toBe(at);
    expect(await newestRowBefore(via(promoted), at + 1)).toBe(at);
  });
});
