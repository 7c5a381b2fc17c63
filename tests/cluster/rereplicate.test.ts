import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db";
import { callerFor } from "../helpers/fixtures";
import { startCluster, type Cluster, type ClusterNode } from "./harness";
import { failoverSucceeded, livePlacement, operationSucceeded, stepTime } from "./operations";
import { startWriter, tickPhp, type EdgeGet } from "./site-writer";

// Re-replication on a real 3-node cluster (btrfs). A site lives on node A with its replica on B;
// A dies (kill -9) and the site fails over to B, which now holds its only copy. After the grace
// (SHOAL_REREPLICATE_AFTER_MS, small here) a new replica is placed on C and sent the site in full
// from B: the test prints how long after A's death C held a copy, and checks that C's newest
// snapshot holds the site's newest rows (what a promote there would serve). Then A comes back:
// it rejoins with what it held beyond the promoted copy kept as a DIVERGENT snapshot, and the site
// has one copy too many; once A has caught up, C's stand-in is released (A's copy holds the
// customer's divergent snapshot, so it is the one kept), and the site ends with its plan's two.
// Last, the replica node hangs (SIGSTOP): the live node's snapshots keep their cadence (the tick
// does not wait on the hung node), C stands in again, and after the thaw the site is back to two.

let cluster: Cluster;
const host = "rereplicate-blog.test";
const graceMs = 3_000;

beforeAll(async () => {
  cluster = await startCluster({
    nodes: 3,
    workers: 1,
    storage: "btrfs",
    workerEnv: { SHOAL_HOLD_DOWN_MS: "4000", SHOAL_SNAPSHOT_TICK_MS: "1000", SHOAL_REREPLICATE_AFTER_MS: String(graceMs) },
  });
});
afterAll(async () => {
  // A node left frozen by a failed test would hang the teardown.
  for (const n of cluster?.nodes ?? []) await cluster.signalNode(n.index, "SIGCONT").catch(() => undefined);
  await cluster?.stop();
});

const finished = (operationId: string, timeoutMs = 120_000) => operationSucceeded(cluster, operationId, timeoutMs);

const nodeId = async (n: ClusterNode) => (await db.node.findUniqueOrThrow({ where: { name: n.name } })).id;
const via = (edge: ClusterNode): EdgeGet => (urlPath) => cluster.edgeGet(edge.index, host, urlPath);

describe("re-replication", () => {
  let siteId = "";
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  let dbName = "";

  it("a node killed with -9: after the grace, the site gets a new replica on the third node, which holds its newest data", async () => {
    const world = cluster.world!;
    await db.plan.update({ where: { id: world.customers.a.plan.id }, data: { snapshotCadenceSec: 1, copies: 2 } });
    const asA = callerFor(world.users.customerA);
    const d = await asA.domain.create({ name: host });
    const site = await asA.site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    siteId = site.id;
    await finished(site.operationId);
    const live = await livePlacement(siteId);
    const replica = await db.placement.findFirstOrThrow({ where: { siteId, role: "REPLICA" }, include: { node: true } });
    a = cluster.nodes.find((n) => n.name === live.node.name)!;
    b = cluster.nodes.find((n) => n.name === replica.node.name)!;
    c = cluster.nodes.find((n) => n !== a && n !== b)!;
    dbName = (await db.database.findFirstOrThrow({ where: { siteId, deletedAt: null } })).name;
    const docroot = path.join(a.root.siteDir(world.customers.a.account.username, siteId), "public");
    await writeFile(path.join(docroot, "tick.php"), tickPhp);
    await cluster.waitFor("the site to take writes", async () => (await cluster.edgeGet(c.index, host, `/tick.php?at=${Date.now()}`)).status === 200);
    // The copy B is promoted from must hold tick.php (or B answers it 404 through every node): a
    // snapshot begun after the site took a write.
    const tookWritesAt = new Date();
    await cluster.waitFor("a snapshot with tick.php on the replica", async () => (await db.snapshot.count({ where: { siteId, nodeId: replica.nodeId, takenAt: { gt: tookWritesAt } } })) > 0, { timeoutMs: 60_000 });

    // Written on A only, an instant before it dies: its copy diverges for sure.
    await writeFile(path.join(docroot, "last-words.txt"), "written just before the crash\n");
    const killedAt = await cluster.signalNode(a.index, "SIGKILL");
    const aId = await nodeId(a);
    const [bId, cId] = [await nodeId(b), await nodeId(c)];

    const failover = await cluster.waitFor("the site to fail over to B", async () => {
      const p = await db.placement.findFirst({ where: { siteId, role: "PRIMARY" } });
      return p?.nodeId === bId ? p : undefined;
    }, { timeoutMs: 60_000 });
    expect(failover.nodeId).toBe(bId);
    const deadAt = (await db.node.findUniqueOrThrow({ where: { id: aId } })).healthSince!.getTime();

    // The new replica, on C, as an operation with visible steps.
    const op = await cluster.waitFor("a re-replication operation", async () => (await db.operation.findFirst({ where: { targetId: siteId, kind: "site.rereplicate" } })) ?? undefined, { timeoutMs: graceMs + 60_000 });
    const placed = await db.placement.findFirstOrThrow({ where: { siteId, nodeId: cId } });
    const done = await finished(op.id, 60_000);
    const steps = await db.operationStep.findMany({ where: { operationId: op.id }, orderBy: { index: "asc" } });
    // The site is the failover's until that operation ends; the grace counts from A's death.
    const failedOver = (await failoverSucceeded(cluster, siteId)).op.finishedAt!.getTime();
    const due = Math.max(deadAt + graceMs, failedOver);
    console.log(
      `re-replication: A dead at +${deadAt - killedAt} ms after the kill, failed over at +${failedOver - deadAt} ms; C placed ${placed.createdAt.getTime() - deadAt} ms after A went DEAD (grace ${graceMs} ms), ` +
        `holding a copy ${done.finishedAt!.getTime() - deadAt} ms after; steps ${steps.map((s) => `${s.kind} ${stepTime(s)}`).join(", ")}`,
    );
    expect(placed.role).toBe("REPLICA");
    expect(placed.reason).toMatch(new RegExp(`^re-replica \\(for ${a.name}\\): `));
    expect(steps.map((s) => [s.kind, s.status])).toEqual([["place", "SUCCEEDED"], ["converge", "SUCCEEDED"], ["seed", "SUCCEEDED"]]);
    expect(placed.createdAt.getTime() - deadAt).toBeGreaterThanOrEqual(graceMs);
    expect(placed.createdAt.getTime() - due).toBeLessThan(6_000);
    expect(done.finishedAt!.getTime() - due).toBeLessThan(30_000);
    expect(await db.auditEvent.count({ where: { targetId: siteId, action: "site.rereplicate" } })).toBe(1);
    // Never two copies on one node; exactly one new one.
    expect((await db.placement.findMany({ where: { siteId } })).map((p) => p.nodeId).sort()).toEqual([aId, bId, cId].sort());

    // C keeps up with B: rows written now reach C's next snapshots, and C's newest holds the
    // newest row (what a promote there would load).
    const writer = startWriter(() => via(c));
    await new Promise((r) => setTimeout(r, 2_000));
    await writer.stop();
    const lastOk = writer.writes.filter((w) => w.ok).at(-1)!;
    expect(lastOk, `no write through ${c.name} succeeded: ${writer.explain()}`).toBeDefined();
    const newest = await cluster.waitFor("a snapshot on C taken after the last write", async () =>
      (await db.snapshot.findFirst({ where: { siteId, nodeId: cId, kind: "SCHEDULED", takenAt: { gt: new Date(lastOk.doneAt) } }, orderBy: { takenAt: "desc" } })) ?? undefined, { timeoutMs: 30_000 });
    const snapshotDir = path.join(c.root.snapshotsDir, siteId, newest.name);
    const dump = await readFile(path.join(snapshotDir, "meta/db", `${dbName}.sql`), "utf8");
    expect(dump).toContain(String(lastOk.at));
    expect((await stat(path.join(snapshotDir, "files", "public", "tick.php"))).isFile()).toBe(true);
    // The failover's candidates are the snapshots recorded per node: C counts as a copy.
    expect(await db.snapshot.count({ where: { siteId, nodeId: cId, name: newest.name } })).toBe(1);
  });

  it("the dead node comes back: the site ends with exactly its plan's copies, and the returning node's divergent snapshot is kept", async () => {
    const [aId, bId, cId] = [await nodeId(a), await nodeId(b), await nodeId(c)];
    const restartedAt = Date.now();
    await cluster.restartNode(a.index);
    await cluster.waitFor(`${a.name} to rejoin`, async () => (await db.node.findUniqueOrThrow({ where: { id: aId } })).status === "HEALTHY", { timeoutMs: 60_000 });
    const divergent = await db.snapshot.findMany({ where: { siteId, kind: "DIVERGENT" } });
    expect(divergent.map((s) => s.nodeId).sort()).toEqual([aId, bId].sort());

    // One copy too many: C's stand-in is released once A has caught up.
    const release = await cluster.waitFor("the surplus copy to be released", async () => (await db.operation.findFirst({ where: { targetId: siteId, kind: "site.release-replica" } })) ?? undefined, { timeoutMs: 60_000 });
    await finished(release.id, 60_000);
    const placements = await db.placement.findMany({ where: { siteId }, orderBy: { role: "asc" } });
    console.log(`re-replication: ${a.name} back; ${c.name}'s stand-in released ${release.createdAt.getTime() - restartedAt} ms after the restart`);
    expect(placements.map((p) => [p.nodeId, p.role])).toEqual([[bId, "PRIMARY"], [aId, "REPLICA"]]);
    const plan = await db.plan.findUniqueOrThrow({ where: { id: cluster.world!.customers.a.plan.id } });
    expect(placements).toHaveLength(plan.copies);
    // Resolved: the kept copy is an ordinary replica, and A is current.
    expect(placements.find((p) => p.nodeId === aId)!.reason).not.toMatch(/^re-replica/);
    expect(await db.auditEvent.count({ where: { targetId: siteId, action: "site.release-replica" } })).toBe(1);

    // The divergent copy is still where the customer can restore it, on A and on B.
    const after = await db.snapshot.findMany({ where: { siteId, kind: "DIVERGENT" } });
    expect(after.map((s) => s.id).sort()).toEqual(divergent.map((s) => s.id).sort());
    for (const s of after) {
      const node = s.nodeId === aId ? a : b;
      expect((await stat(path.join(node.root.snapshotsDir, siteId, s.name))).isDirectory()).toBe(true);
    }
    // C holds nothing of the site any more, on disk or in the records.
    expect(await db.snapshot.count({ where: { siteId, nodeId: cId } })).toBe(0);
    const onC = (await readdir(path.join(c.root.snapshotsDir, siteId)).catch(() => [] as string[])).filter((name) => name !== ".meta");
    expect(onC).toEqual([]);
    // And it stays that way: no new replica, no second release.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await db.placement.count({ where: { siteId } })).toBe(2);
    expect(await db.operation.count({ where: { targetId: siteId, kind: { in: ["site.rereplicate", "site.release-replica"] } } })).toBe(2);
  });

  it("the replica node hangs (SIGSTOP): snapshots on the live node keep their cadence, a stand-in is placed, and after the thaw the site is back to its plan's copies", async () => {
    const [aId, bId, cId] = [await nodeId(a), await nodeId(b), await nodeId(c)];
    const frozenAt = await cluster.signalNode(a.index, "SIGSTOP");
    try {
      await cluster.waitFor(`${a.name} to be DEAD`, async () => (await db.node.findUniqueOrThrow({ where: { id: aId } })).status === "DEAD", { timeoutMs: 30_000 });
      const op = await cluster.waitFor("a second re-replication", async () => (await db.operation.findFirst({ where: { targetId: siteId, kind: "site.rereplicate", createdAt: { gt: new Date(frozenAt) } } })) ?? undefined, { timeoutMs: graceMs + 30_000 });
      const done = await finished(op.id, 60_000);
      // Still frozen a while longer: the live node's snapshots go on at their cadence and reach
      // the new replica, while the stream the tick started to the hung node stays stuck.
      const seededAt = done.finishedAt!.getTime();
      await new Promise((r) => setTimeout(r, 5_000));
      const onB = await db.snapshot.findMany({ where: { siteId, nodeId: bId, kind: "SCHEDULED", takenAt: { gt: new Date(frozenAt) } }, orderBy: { takenAt: "asc" } });
      const gaps = onB.slice(1).map((x, i) => x.takenAt.getTime() - onB[i]!.takenAt.getTime());
      const sinceSeed = onB.filter((x) => x.takenAt.getTime() > seededAt).length;
      const onC = await db.snapshot.count({ where: { siteId, nodeId: cId, kind: "SCHEDULED", takenAt: { gt: new Date(seededAt) } } });
      console.log(
        `replica hang: ${onB.length} snapshots on ${b.name} in the ${((Date.now() - frozenAt) / 1000).toFixed(1)} s ${a.name} was frozen (cadence 1 s, longest gap ${Math.max(0, ...gaps)} ms); ` +
          `${c.name} held a copy ${seededAt - frozenAt} ms after the freeze and got ${onC} of the ${sinceSeed} taken since`,
      );
      // One wait for the stuck stream (3 s) at most, then the cadence again.
      expect(Math.max(0, ...gaps)).toBeLessThan(8_000);
      // (A loaded machine stretches a 1 s cadence; a stalled tick would give none.)
      expect(sinceSeed).toBeGreaterThanOrEqual(2);
      expect(onC).toBeGreaterThanOrEqual(2);
      expect((await db.placement.findFirstOrThrow({ where: { siteId, nodeId: cId } })).role).toBe("REPLICA");
    } finally {
      await cluster.signalNode(a.index, "SIGCONT");
    }
    await cluster.waitFor(`${a.name} to rejoin`, async () => (await db.node.findUniqueOrThrow({ where: { id: aId } })).status === "HEALTHY", { timeoutMs: 60_000 });
    await cluster.waitFor("the site to be back to two copies", async () => (await db.placement.count({ where: { siteId } })) === 2 && (await db.operation.count({ where: { targetId: siteId, kind: "site.release-replica", status: { not: "SUCCEEDED" } } })) === 0, { timeoutMs: 60_000 });
    const placements = await db.placement.findMany({ where: { siteId }, orderBy: { role: "asc" } });
    // A still holds the divergent snapshot, so it is the copy kept; C's stand-in went again.
    expect(placements.map((p) => [p.nodeId, p.role])).toEqual([[bId, "PRIMARY"], [aId, "REPLICA"]]);
    expect(await db.snapshot.count({ where: { siteId, kind: "DIVERGENT", nodeId: aId } })).toBe(1);
    expect(await db.snapshot.count({ where: { siteId, nodeId: cId } })).toBe(0);
  });
});
