import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runOpenLoopInWorker, type OpenLoopResult } from "./lib/open-loop";
import { formatSummary } from "./lib/open-loop-summary";
import { writeScatterPlot, type PlotEvent } from "./lib/scatter-plot";
import { loadavg, runClusterBench, summary, type BenchCluster } from "./cluster-bench";
import { newestRowBefore, recovery, startWriter, tickPhp, type EdgeGet } from "../tests/cluster/site-writer";

// Node loss on the 3-node test cluster (btrfs, real agents and control worker), two parts:
//
// 1. ROUNDS times: a writer adds a timestamped row to a WordPress site's database every 100 ms
//    through a surviving node's edge, and reads go to a static page at READ_RATE/s through it;
//    then the site's live node is killed (kill -9 of every process it has). Printed per round:
//    how long until writes succeed again (recovery), how long reads failed, and the age of the
//    newest row that survived (data lost), with the plan's snapshot cadence CADENCE_SEC, which
//    bounds it. The killed node is started again and rejoins as a replica before the next round.
//    Targets: recovery ≤ 3 s, data lost ≤ 2 s of writes.
// 2. A PLOT_SECONDS run at PLOT_RATE requests/s with a planned move at 25% and a node kill at 55%
//    (the killed node comes back at 80%): var/bench/node-loss.png, time on x, latency on y,
//    errors marked.

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CADENCE_SEC = Number(process.env.CADENCE_SEC ?? 1);
const READ_RATE = Number(process.env.READ_RATE ?? 50);
const PLOT_SECONDS = Number(process.env.PLOT_SECONDS ?? 180);
const PLOT_RATE = Number(process.env.PLOT_RATE ?? 100);
const host = "node-loss.test";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main({ cluster, db, fixtures }: BenchCluster) {
  const world = await fixtures.makeWorld();
  const plan = await db.plan.create({ data: { resellerId: world.resellerA.id, name: "Bench node loss", maxSites: 5, diskMb: 100_000, maxDatabases: 5, maxMailboxes: 1, trafficGbMonth: 1, snapshotCadenceSec: CADENCE_SEC } });
  const { customer, account } = await fixtures.makeCustomer(world.resellerA.id, "Node loss bench");
  await db.hostingAccount.update({ where: { id: account.id }, data: { planId: plan.id } });
  const caller = fixtures.callerFor(await fixtures.makeUser("CUSTOMER", world.resellerA.id, customer.id));
  const domain = await caller.domain.create({ name: host });
  const site = await caller.site.create({ domainId: domain.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
  await cluster.waitFor("the install", async () => (await db.operation.findUniqueOrThrow({ where: { id: site.operationId } })).status === "SUCCEEDED", { timeoutMs: 120_000 });

  const nodeOf = (name: string) => cluster.nodes.find((n) => n.name === name)!;
  const live = async () => db.placement.findFirstOrThrow({ where: { siteId: site.id, role: "PRIMARY" }, include: { node: true } });
  const replicaOf = async () => db.placement.findFirstOrThrow({ where: { siteId: site.id, role: "REPLICA", node: { status: "HEALTHY" } }, include: { node: true } });
  const via = (name: string): EdgeGet => (urlPath) => cluster.edgeGet(nodeOf(name).index, host, urlPath);
  const first = await live();
  const docroot = path.join(nodeOf(first.node.name).root.siteDir(account.username, site.id), "public");
  await writeFile(path.join(docroot, "tick.php"), tickPhp);
  await writeFile(path.join(docroot, "hello.html"), "hello from the node-loss site\n");
  await cluster.waitFor("the site to take writes", async () => (await cluster.edgeGet(1, host, `/tick.php?at=${Date.now()}`)).status === 200);

  /** Until the replica holds a snapshot taken after `after` (so a failover has something fresh). */
  const replicaCurrent = async (after: number) =>
    cluster.waitFor("a fresh snapshot on the replica", async () => {
      const r = await replicaOf().catch(() => null);
      return r !== null && (await db.snapshot.count({ where: { siteId: site.id, nodeId: r.nodeId, takenAt: { gt: new Date(after) } } })) > 0;
    }, { timeoutMs: 120_000, intervalMs: 200 });
  const healthy = async (name: string) => cluster.waitFor(`${name} to be healthy`, async () => (await db.node.findUniqueOrThrow({ where: { name } })).status === "HEALTHY", { timeoutMs: 120_000, intervalMs: 200 });

  console.log(`node loss: WordPress site, snapshots every ${CADENCE_SEC} s, writer every 100 ms, reads ${READ_RATE}/s; load ${await loadavg()}`);
  const rows: { recovery: number; readOutage: number; lost: number; failedWrites: number; steps: string }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await replicaCurrent(Date.now());
    const victim = (await live()).node.name;
    const replica = (await replicaOf()).node.name;
    const edge = cluster.nodes.find((n) => n.name !== victim && n.name !== replica)!.name;
    const writer = startWriter(() => via(edge));
    const reads = runOpenLoopInWorker({ target: { host: nodeOf(edge).address, port: 18080 }, hostHeader: host, path: "/hello.html", ratePerSec: READ_RATE, durationMs: 14_000, timeoutMs: 10_000, retryStaleConnection: true });
    await sleep(4_000);
    const killedAt = await cluster.signalNode(nodeOf(victim).index, "SIGKILL");
    await cluster.waitFor("the site back on the replica", async () => (await live()).node.name !== victim && writer.writes.some((w) => w.at > killedAt && w.ok), { timeoutMs: 60_000, intervalMs: 50 });
    const r = await reads;
    await writer.stop();
    const { recoveredAt, failed } = recovery(writer.writes, killedAt);
    const newest = await newestRowBefore(via(edge), killedAt);
    const failedReads = r.records.filter((x) => x.error || (x.status !== undefined && (x.status < 200 || x.status >= 300)));
    const readOutage = failedReads.length ? Math.max(...failedReads.map((x) => x.scheduledAt)) - killedAt : 0;
    const op = await db.operation.findFirstOrThrow({ where: { targetId: site.id, kind: "site.failover" }, orderBy: { createdAt: "desc" }, include: { steps: { orderBy: { index: "asc" } } } });
    const steps = op.steps.map((s) => `${s.kind} ${s.finishedAt!.getTime() - s.startedAt!.getTime()}`).join(", ");
    const detected = op.createdAt.getTime() - killedAt;
    rows.push({ recovery: recoveredAt - killedAt, readOutage, lost: killedAt - newest, failedWrites: failed, steps: `detected ${detected} ms; ${steps} ms` });
    console.log(`  round ${round}: ${victim} killed, ${replica} took over: writes back after ${recoveredAt - killedAt} ms (${failed} failed), reads failing for ${readOutage.toFixed(0)} ms (${failedReads.length} of ${r.records.length}), newest surviving row ${killedAt - newest} ms old; ${rows.at(-1)!.steps}`);
    await cluster.restartNode(nodeOf(victim).index);
    await healthy(victim);
  }
  const rec = summary(rows.map((x) => x.recovery));
  const lost = summary(rows.map((x) => x.lost));
  const outage = summary(rows.map((x) => x.readOutage));
  console.log(`\nnode loss over ${ROUNDS} rounds (snapshot cadence ${CADENCE_SEC} s):`);
  console.log(`  recovery (writes ok again)   p50 ${rec.p50} ms, max ${rec.max} ms      target ≤ 3000 ms`);
  console.log(`  reads failing after the kill p50 ${outage.p50.toFixed(0)} ms, max ${outage.max.toFixed(0)} ms`);
  console.log(`  data lost (newest row's age) p50 ${lost.p50} ms, max ${lost.max} ms      target ≤ 2000 ms`);

  // Part 2: the plot.
  await replicaCurrent(Date.now());
  const start = await live();
  const moveTo = (await replicaOf()).node;
  const edgeName = cluster.nodes.find((n) => n.name !== start.node.name && n.name !== moveTo.name)!.name;
  console.log(`\n${PLOT_SECONDS} s at ${PLOT_RATE} requests/s through ${edgeName}'s edge: move ${start.node.name} → ${moveTo.name} at 25%, kill the live node at 55%, restart it at 80%`);
  const events: PlotEvent[] = [];
  const load = runOpenLoopInWorker({ target: { host: nodeOf(edgeName).address, port: 18080 }, hostHeader: host, path: "/hello.html", ratePerSec: PLOT_RATE, durationMs: PLOT_SECONDS * 1000, timeoutMs: 35_000, retryStaleConnection: true });
  const t0 = Date.now();
  await sleep(PLOT_SECONDS * 250);
  events.push({ at: Date.now(), label: `move to ${moveTo.name}` });
  const admin = fixtures.callerFor(world.users.admin);
  const move = await admin.site.move({ id: site.id, toNodeId: moveTo.id });
  await cluster.waitFor("the move", async () => {
    const o = await db.operation.findUniqueOrThrow({ where: { id: move.operationId } });
    if (o.status === "FAILED") throw new Error(`move failed: ${o.lastError}`);
    return o.status === "SUCCEEDED";
  }, { timeoutMs: 120_000 });
  events.push({ at: Date.now(), label: "moved" });
  await sleep(Math.max(0, t0 + PLOT_SECONDS * 550 - Date.now()));
  const victim = (await live()).node.name;
  events.push({ at: await cluster.signalNode(nodeOf(victim).index, "SIGKILL"), label: `kill -9 ${victim}` });
  await cluster.waitFor("the failover", async () => (await live()).node.name !== victim, { timeoutMs: 60_000, intervalMs: 50 });
  events.push({ at: Date.now(), label: "failed over" });
  await sleep(Math.max(0, t0 + PLOT_SECONDS * 800 - Date.now()));
  events.push({ at: Date.now(), label: `${victim} restarted` });
  await cluster.restartNode(nodeOf(victim).index);
  const result: OpenLoopResult = await load;
  console.log(`  ${formatSummary(result.summary)}`);
  const png = await writeScatterPlot(result.records, {
    file: "var/bench/node-loss.png",
    title: `${PLOT_SECONDS} s at ${PLOT_RATE} requests/s: a planned move, then the live node killed (kill -9) and restarted`,
    startedAt: result.startedAt,
    events,
  });
  console.log(`plot: ${png}; load at the end ${await loadavg()}`);
}

runClusterBench(main, { workers: 1, storage: "btrfs", workerEnv: { SHOAL_HOLD_DOWN_MS: "5000", SHOAL_SNAPSHOT_TICK_MS: "1000" } });
