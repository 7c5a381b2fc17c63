import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runOpenLoopInWorker, type OpenLoopResult } from "./lib/open-loop";
import { formatSummary, isFailure } from "./lib/open-loop-summary";
import { writeScatterPlot, type PlotEvent } from "./lib/scatter-plot";
import { loadavg, runClusterBench, summary, type BenchCluster } from "./cluster-bench";
import { newestRowBefore, recovery, startWriter, tickPhp, type EdgeGet } from "../tests/cluster/site-writer";

// Node loss on the 3-node test cluster (btrfs, real agents and control worker), two parts:
//
// 1. ROUNDS times: reads go to a static page at READ_RATE/s (open loop) through the front door
//    of the node that holds no copy of a WordPress site, and a writer adds a timestamped row to
//    the site's database every 100 ms through the same front door; then the site's live node is
//    killed (kill -9 of every process it has). The rounds alternate between the front door as it
//    is (a GET whose backend is unreachable waits in the hold service for the backend or a new
//    route) and as it was before ("before": SHOAL_BENCH_FAIL_UNREACHABLE=1 on the reading node's
//    agent, such a GET gets the 502 page at once), so both are measured in one run on the same
//    machine. Printed per round: failed GETs, the latency the kill added to GETs (over the
//    median before the kill; p99 over the round's GETs and max), recovery (kill → the first 2xx
//    answer to a GET sent after the kill, which only the new live node can give), when writes
//    took again and the age of the newest row that survived (data lost), with the plan's
//    snapshot cadence CADENCE_SEC, which bounds it. Then p50 and max over the rounds of each
//    kind. The killed node is started again and rejoins as a replica before the next round.
//    Targets (held): 0 failed GETs, max added latency ≤ the recovery time, recovery p50 ≤ 1.5 s;
//    data lost ≤ 2 s of writes.
// 2. A PLOT_SECONDS run (0: none) at PLOT_RATE requests/s with a planned move at 25% and a node
//    kill at 55% (the killed node comes back at 80%): var/bench/node-loss.png, time on x,
//    latency on y, errors marked.

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const CADENCE_SEC = Number(process.env.CADENCE_SEC ?? 1);
const READ_RATE = Number(process.env.READ_RATE ?? 100);
const PLOT_SECONDS = Number(process.env.PLOT_SECONDS ?? 180);
const PLOT_RATE = Number(process.env.PLOT_RATE ?? 100);
const host = "node-loss.test";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Mode = "held" | "before";
type Round = { mode: Mode; failedReads: number; reads: number; p99Added: number; maxAdded: number; recovery: number; writesBack: number; failedWrites: number; lost: number; steps: string };

/** What one round's reads say: failures, latency added over the median before the kill, recovery. */
function readFigures(result: OpenLoopResult, killedAt: number) {
  const before = result.records.filter((r) => r.scheduledAt < killedAt - 200 && !isFailure(r)).map((r) => r.latencyMs);
  const baseline = summary(before).p50;
  const added = summary(result.records.filter((r) => !isFailure(r)).map((r) => r.latencyMs - baseline));
  const firstAfter = Math.min(...result.records.filter((r) => r.scheduledAt > killedAt && !isFailure(r)).map((r) => r.scheduledAt + r.latencyMs));
  return { failed: result.records.filter(isFailure).length, reads: result.records.length, baseline, p99Added: added.p99, maxAdded: added.max, recovery: firstAfter - killedAt };
}

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
  const rows: Round[] = [];
  let edgeMode: Mode = "held";
  let switched: string | null = null;
  for (let round = 1; round <= ROUNDS; round++) {
    const mode: Mode = round % 2 === 1 ? "before" : "held";
    const victim = (await live()).node.name;
    const replica = (await replicaOf()).node.name;
    const edge = cluster.nodes.find((n) => n.name !== victim && n.name !== replica)!.name;
    if (mode !== edgeMode) {
      // The reading front door's agent (its hold service) as it is, or as it was before.
      await cluster.restartAgent(nodeOf(edge).index, { SHOAL_BENCH_FAIL_UNREACHABLE: mode === "before" ? "1" : "0" });
      edgeMode = mode;
      switched = edge;
      await sleep(1_000);
      await healthy(edge);
    }
    await replicaCurrent(Date.now());
    const writer = startWriter(() => via(edge));
    const reads = runOpenLoopInWorker({ target: { host: nodeOf(edge).address, port: 18080 }, hostHeader: host, path: "/hello.html", ratePerSec: READ_RATE, durationMs: 14_000, timeoutMs: 35_000, retryStaleConnection: true });
    await sleep(4_000);
    const killedAt = await cluster.signalNode(nodeOf(victim).index, "SIGKILL");
    await cluster.waitFor("the site back on the replica", async () => (await live()).node.name !== victim && writer.writes.some((w) => w.at > killedAt && w.ok), { timeoutMs: 60_000, intervalMs: 50 });
    const r = await reads;
    await writer.stop();
    const { recoveredAt, failed } = recovery(writer.writes, killedAt);
    const newest = await newestRowBefore(via(edge), killedAt);
    const f = readFigures(r, killedAt);
    const op = await db.operation.findFirstOrThrow({ where: { targetId: site.id, kind: "site.failover" }, orderBy: { createdAt: "desc" }, include: { steps: { orderBy: { index: "asc" } } } });
    const steps = op.steps.map((s) => `${s.kind} ${s.finishedAt!.getTime() - s.startedAt!.getTime()}`).join(", ");
    const detected = op.createdAt.getTime() - killedAt;
    rows.push({ mode, failedReads: f.failed, reads: f.reads, p99Added: f.p99Added, maxAdded: f.maxAdded, recovery: f.recovery, writesBack: recoveredAt - killedAt, failedWrites: failed, lost: killedAt - newest, steps: `detected ${detected} ms; ${steps} ms` });
    console.log(
      `  round ${round} (${mode.padEnd(6)}): ${victim} killed, ${replica} took over: GETs failed ${f.failed} of ${f.reads}, added latency p99 ${f.p99Added.toFixed(0)} ms, max ${f.maxAdded.toFixed(0)} ms (median before ${f.baseline.toFixed(1)} ms), first 2xx after the kill in ${f.recovery.toFixed(0)} ms; ` +
        `writes back after ${recoveredAt - killedAt} ms (${failed} failed), newest surviving row ${killedAt - newest} ms old; ${rows.at(-1)!.steps}`,
    );
    await cluster.restartNode(nodeOf(victim).index);
    await healthy(victim);
  }
  const ms = (v: number) => `${v.toFixed(0)} ms`.padStart(8);
  const both = (values: number[], fmt: (v: number) => string) => {
    const s = summary(values);
    return `${fmt(s.p50)} / ${fmt(s.max)}`;
  };
  console.log(`\nnode loss over ${ROUNDS} rounds, p50 / max per kind (reads ${READ_RATE}/s through the front door of the node without a copy; snapshot cadence ${CADENCE_SEC} s):`);
  console.log(`  ${"".padEnd(8)} ${"failed GETs".padStart(15)} ${"added p99".padStart(21)} ${"added max".padStart(21)} ${"recovery".padStart(21)} ${"writes back".padStart(21)} ${"data lost".padStart(21)}`);
  for (const mode of ["before", "held"] as const) {
    const of = rows.filter((x) => x.mode === mode);
    if (of.length === 0) continue;
    const count = (v: number) => String(v).padStart(5);
    console.log(
      `  ${mode.padEnd(8)} ${both(of.map((x) => x.failedReads), count).padStart(15)} ${both(of.map((x) => x.p99Added), ms).padStart(21)} ${both(of.map((x) => x.maxAdded), ms).padStart(21)} ${both(of.map((x) => x.recovery), ms).padStart(21)} ${both(of.map((x) => x.writesBack), ms).padStart(21)} ${both(of.map((x) => x.lost), ms).padStart(21)}`,
    );
  }
  console.log("  targets (held): 0 failed GETs, max added ≤ recovery, recovery p50 ≤ 1500 ms; data lost ≤ 2000 ms");
  if (PLOT_SECONDS <= 0) return;
  // The plot is of the front door as it is.
  if (switched && edgeMode !== "held") {
    await cluster.restartAgent(nodeOf(switched).index, { SHOAL_BENCH_FAIL_UNREACHABLE: "0" });
    await sleep(1_000);
    await healthy(switched);
  }

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
