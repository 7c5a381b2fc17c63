import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db";
import { callerFor } from "../helpers/fixtures";
import { clusterAddress, clusterPorts, startCluster, type Cluster, type ClusterNode } from "./harness";
import { describeOperation, failoverSucceeded, livePlacement, operationSucceeded, stepTime } from "./operations";
import { edgeGetFrom, newestRowBefore, recovery, startWriter, tickPhp, type EdgeGet } from "./site-writer";

// Automatic failover on a real 3-node cluster (btrfs, as npm start runs it). A writer adds a
// timestamped row to the site's database every 100 ms through a surviving node's edge, then the
// site's live node dies (kill -9 of every process it has); the site must serve again from its
// replica, and the test prints the recovery time and the age of the newest row that survived.
// The dead node then comes back: it rejoins as a replica, what it held beyond the promoted copy
// is kept as a DIVERGENT snapshot (and the customer is told), and it catches up incrementally.
// Then the new live node hangs (SIGSTOP: connections go unanswered instead of refused) and the
// site fails over back. Last, a netsplit with writes on both sides: the promoted side is the
// truth, the other side's writes are kept as a DIVERGENT snapshot and the customer is told.

let cluster: Cluster;
const host = "failover-blog.test";
const holdDownMs = 4_000;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, workers: 1, storage: "btrfs", workerEnv: { SHOAL_HOLD_DOWN_MS: String(holdDownMs), SHOAL_SNAPSHOT_TICK_MS: "1000" } });
});
afterAll(async () => {
  // A node left frozen by a failed test would hang the teardown.
  for (const n of cluster?.nodes ?? []) await cluster.signalNode(n.index, "SIGCONT").catch(() => undefined);
  await cluster?.stop();
});

const finished = (operationId: string, timeoutMs = 120_000) => operationSucceeded(cluster, operationId, timeoutMs);

const via = (edge: ClusterNode): EdgeGet => (urlPath) => cluster.edgeGet(edge.index, host, urlPath);

describe("failover", () => {
  let siteId = "";
  let deadNode: ClusterNode;
  let promoted: ClusterNode;

  it("a node killed with -9: the site serves again from its replica; recovery time and newest surviving row", async () => {
    const world = cluster.world!;
    // Snapshots every second for this plan (the panel allows 1 s to 1 day): it sets the data lost.
    await db.plan.update({ where: { id: world.customers.a.plan.id }, data: { snapshotCadenceSec: 1 } });
    const asA = callerFor(world.users.customerA);
    const d = await asA.domain.create({ name: host });
    const site = await asA.site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    siteId = site.id;
    await finished(site.operationId);
    const live = await livePlacement(site.id);
    const liveNode = cluster.nodes.find((n) => n.name === live.node.name)!;
    const replica = await db.placement.findFirstOrThrow({ where: { siteId: site.id, role: "REPLICA" }, include: { node: true } });
    const survivor = cluster.nodes.find((n) => n.name !== live.node.name && n.name !== replica.node.name)!;
    const docroot = path.join(liveNode.root.siteDir(world.customers.a.account.username, site.id), "public");
    await writeFile(path.join(docroot, "tick.php"), tickPhp);
    await cluster.waitFor("the site to take writes", async () => (await cluster.edgeGet(survivor.index, host, `/tick.php?at=${Date.now()}`)).status === 200);
    // The copy promoted later must hold tick.php: a snapshot begun after the site took a write.
    const tookWritesAt = new Date();
    await cluster.waitFor("a snapshot with tick.php on the replica", async () => (await db.snapshot.count({ where: { siteId: site.id, nodeId: replica.nodeId, takenAt: { gt: tookWritesAt } } })) > 0, { timeoutMs: 60_000 });

    const writer = startWriter(() => via(survivor));
    await new Promise((r) => setTimeout(r, 3_000));
    // Written on the dying node only, an instant before it dies: divergent for sure (test 2).
    await writeFile(path.join(docroot, "last-words.txt"), "written just before the crash\n");
    const killedAt = await cluster.signalNode(liveNode.index, "SIGKILL");
    deadNode = liveNode;

    const after = await cluster.waitFor("the site to serve from another node", async () => {
      if (Date.now() - killedAt > 59_000) console.log(writer.explain());
      const p = await livePlacement(site.id);
      return p.node.name !== liveNode.name && writer.writes.some((w) => w.at > killedAt && w.ok) ? p : undefined;
    }, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    await writer.stop();
    promoted = cluster.nodes.find((n) => n.name === after.node.name)!;

    const { recoveredAt, failed } = recovery(writer.writes, killedAt);
    const newest = await newestRowBefore(via(survivor), killedAt);
    const { op, all, report } = await failoverSucceeded(cluster, site.id);
    const nodeRow = await db.node.findUniqueOrThrow({ where: { name: liveNode.name } });
    console.log(
      `node kill -9: site back after ${recoveredAt - killedAt} ms (${failed} of the writes every 100 ms failed meanwhile); ` +
        `newest surviving row written ${killedAt - newest} ms before the kill (snapshot cadence 1 s); ` +
        `failover steps ${op.steps.map((s) => `${s.kind} ${stepTime(s)}`).join(", ")}${report ? `\n${report}` : ""}`,
    );
    // Nothing failed the site over before its node died (a node wrongly declared DEAD would).
    expect(all.filter((o) => o.createdAt.getTime() < killedAt).map(describeOperation)).toEqual([]);
    expect(after.node.name).toBe(replica.node.name);
    expect(after.epoch).toBe(live.epoch + 1);
    expect(nodeRow.status).toBe("DEAD");
    expect((await db.placement.findFirstOrThrow({ where: { siteId: site.id, nodeId: nodeRow.id } })).role).toBe("REPLICA");
    expect(recoveredAt - killedAt).toBeLessThan(20_000);
    expect(newest).toBeGreaterThan(killedAt - 10_000);
    // Every edge that lives serves the promoted copy (tick.php came with the snapshot).
    for (const n of cluster.nodes.filter((x) => x !== liveNode)) {
      expect((await cluster.edgeGet(n.index, host, `/tick.php?before=${Date.now()}`)).status).toBe(200);
    }
  });

  it("the dead node comes back as a replica: its divergent data is kept and the customer told; it catches up incrementally", async () => {
    const deadId = (await db.node.findUniqueOrThrow({ where: { name: deadNode.name } })).id;
    await cluster.restartNode(deadNode.index);
    await cluster.waitFor(`${deadNode.name} to rejoin`, async () => (await db.node.findUniqueOrThrow({ where: { id: deadId } })).status === "HEALTHY", { timeoutMs: 60_000 });
    const placement = await db.placement.findFirstOrThrow({ where: { siteId, nodeId: deadId } });
    expect(placement.role).toBe("REPLICA");
    expect(placement.reason).toMatch(/kept as divergent-/);
    const divergent = await db.snapshot.findMany({ where: { siteId, kind: "DIVERGENT" }, include: { node: true } });
    // Kept on the node that wrote it and on the live node, where the customer can restore it.
    expect(divergent.map((s) => s.node!.name).sort()).toEqual([deadNode.name, promoted.name].sort());
    // The panel says so on the site's row, pointing at its Snapshots.
    const listed = await callerFor(cluster.world!.users.customerA).site.list({ limit: 50 });
    expect(listed.items.find((x) => x.id === siteId)?.divergentAt).toBeInstanceOf(Date);
    const mail = await db.mailMessage.findFirst({ where: { toAddress: cluster.world!.customers.a.customer.email, subject: { contains: host } } });
    expect(mail?.text).toMatch(/kept as a snapshot/);
    // Its edge routes to the new live node (the fenced epoch is never served again).
    // Its front door started only once it had the current table (worker/agent/resume.ts).
    const page = await cluster.waitFor(`${deadNode.name}'s front door`, () => cluster.edgeGet(deadNode.index, host, "/last-words.txt").catch(() => undefined));
    expect(page.body).not.toContain("written just before the crash");

    // Catch-up: the next replication to it is incremental from the common snapshot: it sends
    // about what changed, not the 60 MB site.
    const worker = () => cluster.logTail("worker", 1, 100_000);
    const pattern = new RegExp(`replicated (\\S+) of site ${siteId} to ${deadNode.name}: (\\d+) bytes \\((incremental from \\S+|full)\\)`, "g");
    const seen = (text: string) => [...text.matchAll(pattern)];
    const before = seen(await worker()).length;
    const username = cluster.world!.customers.a.account.username;
    await writeFile(path.join(promoted.root.siteDir(username, siteId), "public", "upload.bin"), Buffer.alloc(3 * 1024 * 1024, 7));
    const sent = await cluster.waitFor("a replication to the rejoined node with the new file", async () => {
      const all = seen(await worker());
      return all.length > before + 1 ? all[all.length - 1] : undefined;
    }, { timeoutMs: 60_000 });
    // It was the live node until it died: every replication to it is one after its rejoin.
    const first = seen(await worker())[0]!;
    const all = seen(await worker()).slice(before).map((m) => Number(m[2]));
    console.log(
      `catch-up: first replication after rejoin ${first[2]} bytes (${first[3]}); after a 3 MB file was added, ${all.length} replications of ${all.join(" + ")} bytes (the last ${sent[3]})`,
    );
    expect(first[3]).toMatch(/^incremental/);
    expect(Number(first[2])).toBeLessThan(20 * 1024 * 1024);
    // The 3 MB file crossed once, with little around it.
    expect(all.reduce((a, b) => a + b, 0)).toBeGreaterThan(3 * 1024 * 1024);
    expect(all.reduce((a, b) => a + b, 0)).toBeLessThan(3 * 1024 * 1024 + 20 * 1024 * 1024);
  });

  it("a live node that hangs (SIGSTOP) is failed over too, back to the rejoined replica", async () => {
    const live = await livePlacement(siteId);
    const hung = cluster.nodes.find((n) => n.name === live.node.name)!;
    const edge = cluster.nodes.find((n) => n.name !== hung.name && n.name !== deadNode.name)!;
    // The rejoined node must hold the newest state first.
    await cluster.waitFor("the rejoined replica to be current", async () => {
      const newest = await db.snapshot.findFirst({ where: { siteId, nodeId: live.nodeId, kind: "SCHEDULED" }, orderBy: { takenAt: "desc" } });
      return newest && (await db.snapshot.count({ where: { siteId, nodeId: (await db.node.findUniqueOrThrow({ where: { name: deadNode.name } })).id, name: newest.name } })) > 0;
    }, { timeoutMs: 30_000 });
    const writer = startWriter(() => via(edge));
    await new Promise((r) => setTimeout(r, 2_000));
    const frozenAt = await cluster.signalNode(hung.index, "SIGSTOP");
    try {
      const after = await cluster.waitFor("the site to serve from the rejoined node", async () => {
        const p = await livePlacement(siteId);
        return p.node.name === deadNode.name && writer.writes.some((w) => w.at > frozenAt && w.ok) ? p : undefined;
      }, { timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 1_000));
      await writer.stop();
      const { recoveredAt, failed } = recovery(writer.writes, frozenAt);
      const newest = await newestRowBefore(via(edge), frozenAt);
      console.log(`node hang (SIGSTOP): site back after ${recoveredAt - frozenAt} ms (${failed} writes failed meanwhile); newest surviving row written ${frozenAt - newest} ms before the hang`);
      expect(after.epoch).toBe(live.epoch + 1);
      expect(recoveredAt - frozenAt).toBeLessThan(20_000);
    } finally {
      await writer.stop();
      await cluster.signalNode(hung.index, "SIGCONT");
    }
    // The thawed node is fenced: DEAD until its hold-down ends, then a replica.
    const hungId = (await db.node.findUniqueOrThrow({ where: { name: hung.name } })).id;
    await cluster.waitFor(`${hung.name} to rejoin`, async () => (await db.node.findUniqueOrThrow({ where: { id: hungId } })).status === "HEALTHY", { timeoutMs: 60_000 });
    expect((await db.placement.findFirstOrThrow({ where: { siteId, nodeId: hungId } })).role).toBe("REPLICA");
    expect((await cluster.edgeGet(hung.index, host, `/tick.php?before=${Date.now()}`)).status).toBe(200);
  });

  it("a netsplit with writes on both sides: the promoted side is the truth, the other side's writes are kept and the customer told", async () => {
    const live = await livePlacement(siteId);
    const cut = cluster.nodes.find((n) => n.name === live.node.name)!;
    const other = cluster.nodes.find((n) => n.name !== cut.name && n.name !== deadNode.name) ?? cluster.nodes.find((n) => n.name !== cut.name)!;
    const replica = await db.placement.findFirstOrThrow({ where: { siteId, role: "REPLICA", node: { status: "HEALTHY" } }, include: { node: true } });
    await cluster.waitFor("the replica to be current", async () => {
      const newest = await db.snapshot.findFirst({ where: { siteId, nodeId: live.nodeId, kind: "SCHEDULED" }, orderBy: { takenAt: "desc" } });
      return newest && (await db.snapshot.count({ where: { siteId, nodeId: replica.nodeId, name: newest.name } })) > 0;
    }, { timeoutMs: 30_000 });
    const mailsBefore = await db.mailMessage.count({ where: { subject: { contains: host } } });
    // Visitors on the cut node's side reach its edge from an address the split lets through.
    const farClient = clusterAddress(200);
    const far = startWriter(() => edgeGetFrom({ address: cut.address, port: clusterPorts.http }, farClient, host));
    const near = startWriter(() => via(other));
    await new Promise((r) => setTimeout(r, 1_500));
    const splitAt = Date.now();
    await cluster.partition(cut.index, [farClient]);
    try {
      await cluster.waitFor("the site to fail over to the control plane's side", async () => {
        const p = await livePlacement(siteId);
        return p.node.name !== cut.name && near.writes.some((w) => w.at > splitAt && w.ok) ? p : undefined;
      }, { timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 2_000));
    } finally {
      await Promise.all([far.stop(), near.stop()]);
      await cluster.heal();
    }
    const farWrites = far.writes.filter((w) => w.at > splitAt && w.ok).length;
    const nearWrites = near.writes.filter((w) => w.at > splitAt && w.ok).length;
    console.log(`netsplit: ${farWrites} writes taken on the cut-off side (${cut.name}), ${nearWrites} on the control plane's side`);
    expect(farWrites).toBeGreaterThan(0);
    expect(nearWrites).toBeGreaterThan(0);

    // Healed: the cut node is DEAD until its hold-down ends, then rejoins as a replica with its
    // side's writes kept.
    const cutId = (await db.node.findUniqueOrThrow({ where: { name: cut.name } })).id;
    await cluster.waitFor(`${cut.name} to rejoin`, async () => (await db.node.findUniqueOrThrow({ where: { id: cutId } })).status === "HEALTHY", { timeoutMs: 60_000 });
    const placement = await db.placement.findFirstOrThrow({ where: { siteId, nodeId: cutId } });
    expect(placement.role).toBe("REPLICA");
    expect(placement.reason).toMatch(/database .* is kept as divergent-/);
    const kept = await db.snapshot.findFirst({ where: { siteId, kind: "DIVERGENT", nodeId: cutId, takenAt: { gt: new Date(splitAt) } } });
    expect(kept).not.toBeNull();
    // On the live node too, where the customer can restore it from the timeline.
    expect(await db.snapshot.count({ where: { siteId, kind: "DIVERGENT", name: kept!.name } })).toBe(2);
    expect(await db.mailMessage.count({ where: { subject: { contains: host } } })).toBe(mailsBefore + 1);
    // The promoted side's writes are the site's now: the newest row is one written there.
    const newest = await newestRowBefore(via(other), Date.now());
    const nearOk = near.writes.filter((w) => w.ok).map((w) => w.at);
    expect(nearOk).toContain(newest);
  });
});
