import { randomBytes } from "node:crypto";
import mariadb from "mariadb";
import { agentClient } from "../worker/control/agent-client";
import { databasePassword } from "../server/contract/cluster-secrets";
import { snapshotName } from "../server/domain/snapshot-name";
import { loadavg, runClusterBench, summary, type BenchCluster } from "./cluster-bench";

// Rollback of a WordPress site (target: under 10 s) on the test cluster (btrfs, as npm start runs
// it): RUNS times the customer changes the blog's name and rolls the site back to its first
// snapshot through site.rollback, timed from the call to the operation's SUCCEEDED (the outbox
// relay, the worker, the node's keep-current snapshot, the file swap, the database load and the
// serve check through every edge). Reference on the same site and node: a plain snapshot (files
// and database dump) asked of the agent directly, SNAPSHOTS times; and the rollback preview the
// panel shows first (the agent's diff of files and database, site.previewRollback's node part).

const RUNS = Number(process.env.RUNS ?? 7);
/** Extra rows in the site's database before its first snapshot (MB), to see what the load costs. */
const DB_MB = Number(process.env.DB_MB ?? 0);
const SNAPSHOTS = Number(process.env.SNAPSHOTS ?? 7);
const TARGET_SEC = 10;

async function main({ cluster, db, fixtures }: BenchCluster) {
  const world = await fixtures.makeWorld();
  const plan = await db.plan.create({ data: { resellerId: world.resellerA.id, name: "Bench rollback", maxSites: 5, diskMb: 100_000, maxDatabases: 5, maxMailboxes: 1, trafficGbMonth: 1, snapshotCadenceSec: 5 } });
  const { customer, account } = await fixtures.makeCustomer(world.resellerA.id, "Rollback bench");
  await db.hostingAccount.update({ where: { id: account.id }, data: { planId: plan.id } });
  const caller = fixtures.callerFor(await fixtures.makeUser("CUSTOMER", world.resellerA.id, customer.id));
  const domain = await caller.domain.create({ name: "rollback-bench.test" });
  const site = await caller.site.create({ domainId: domain.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
  await cluster.waitFor("the install", async () => (await db.operation.findUniqueOrThrow({ where: { id: site.operationId } })).status === "SUCCEEDED", { timeoutMs: 120_000 });
  const live = await db.placement.findFirstOrThrow({ where: { siteId: site.id, role: "PRIMARY" }, include: { node: true } });
  const database = await db.database.findFirstOrThrow({ where: { siteId: site.id }, include: { users: true } });
  const liveNode = cluster.nodes.find((n) => n.name === live.node.name)!;
  const connect = () => mariadb.createConnection({ host: liveNode.address, port: 13306, user: database.users[0]!.username, password: databasePassword(cluster.clusterSecret, database.users[0]!.id), database: database.name });
  if (DB_MB > 0) {
    const conn = await connect();
    await conn.query("CREATE TABLE bench_rows (id INT AUTO_INCREMENT PRIMARY KEY, body MEDIUMTEXT) ENGINE=InnoDB");
    for (let i = 0; i < DB_MB * 4; i++) await conn.query("INSERT INTO bench_rows (body) VALUES (?)", [randomBytes(192 * 1024).toString("base64")]);
    await conn.end();
  }
  const loaded = new Date();
  const first = await cluster.waitFor("the first snapshot", () => db.snapshot.findFirst({ where: { siteId: site.id, nodeId: live.nodeId, takenAt: { gt: loaded } }, orderBy: { takenAt: "asc" } }).then((s) => s ?? undefined), { timeoutMs: 60_000 });
  // No cadence snapshots during the timed part: they would queue behind (or ahead of) a rollback.
  await db.plan.update({ where: { id: plan.id }, data: { snapshotCadenceSec: 86_400 } });
  // A fresh connection per change, closed before the rollback: a connection kept open across the
  // restore (which drops and reloads the database) was closed under the first run.
  const change = async (name: string) => {
    const conn = await connect();
    try {
      await conn.query("UPDATE wp_options SET option_value = ? WHERE option_name = 'blogname'", [name]);
    } finally {
      await conn.end();
    }
  };
  console.log(`WordPress site${DB_MB ? ` with ${DB_MB} MB of extra rows` : ""} live on ${live.node.name}; first snapshot ${first.name} (${(Number(first.sizeBytes) / 1e6).toFixed(1)} MB); load ${await loadavg()}`);

  // The panel's env is read before the cluster (and its secret) exists: the preview is timed at
  // the agent, which is where site.previewRollback spends its time.
  const agent = agentClient({ name: live.node.name, address: live.node.address, agentPort: live.node.agentPort }, { clusterSecret: cluster.clusterSecret });
  const total: number[] = [];
  const restore: number[] = [];
  const serve: number[] = [];
  const previews: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await change(`Changed ${i}`);
    const p0 = performance.now();
    const preview = await agent.previewRollback(site.id, first.name, [database.name]);
    if (preview.databases[0]?.status !== "changed") throw new Error(`run ${i}: the preview did not see the changed blog name`);
    previews.push((performance.now() - p0) / 1000);
    const t0 = performance.now();
    const started = await caller.site.rollback({ id: site.id, snapshotId: first.id });
    const op = await cluster.waitFor("the rollback", async () => {
      const o = await db.operation.findUniqueOrThrow({ where: { id: started.operationId }, include: { steps: true } });
      if (o.status === "FAILED") throw new Error(`rollback failed: ${o.lastError}`);
      return o.status === "SUCCEEDED" ? o : undefined;
    }, { timeoutMs: 120_000, intervalMs: 20 });
    total.push((performance.now() - t0) / 1000);
    const step = (kind: string) => op.steps.find((s) => s.kind === kind)!;
    const r = step("restore files and databases");
    restore.push((r.finishedAt!.getTime() - r.startedAt!.getTime()) / 1000);
    const s = step("serve check");
    serve.push((s.finishedAt!.getTime() - s.startedAt!.getTime()) / 1000);
    const front = await cluster.edgeGet(1, "rollback-bench.test", "/");
    if (front.body.includes(`Changed ${i}`)) throw new Error(`run ${i}: the front page still shows the changed name`);
    console.log(`  run ${i + 1}: ${total.at(-1)!.toFixed(2)} s (node restore ${restore.at(-1)!.toFixed(2)} s, serve check ${serve.at(-1)!.toFixed(2)} s; preview ${previews.at(-1)!.toFixed(2)} s)`);
  }

  const snaps: number[] = [];
  for (let i = 0; i < SNAPSHOTS; i++) {
    const t0 = performance.now();
    await agent.createSnapshot(site.id, snapshotName("bench", new Date()), [database.name]);
    snaps.push((performance.now() - t0) / 1000);
  }

  const fmt = (xs: number[]) => {
    const s = summary(xs);
    return `p50 ${s.p50.toFixed(2)} s, max ${s.max.toFixed(2)} s (n=${s.n})`;
  };
  const t = summary(total);
  const ref = summary(snaps);
  console.log(`\nrollback of a WordPress site${DB_MB ? ` + ${DB_MB} MB of rows` : ""} (btrfs, ${live.node.name}), ${RUNS} runs; load ${await loadavg()}`);
  console.log(`  site.rollback → SUCCEEDED      ${fmt(total)}      target < ${TARGET_SEC} s: ${t.max < TARGET_SEC ? "met" : "NOT met"}`);
  console.log(`    node restore (keep + swap + load)  ${fmt(restore)}`);
  console.log(`    serve check through every edge      ${fmt(serve)}`);
  console.log(`  reference: a plain snapshot (agent)  ${fmt(snaps)}; rollback p50 = ${(t.p50 / ref.p50).toFixed(1)}x a snapshot`);
  console.log(`  rollback preview (agent diff)        ${fmt(previews)}`);
}

runClusterBench(main, { workers: 1, storage: "btrfs" });
