import { copyFile, mkdir } from "node:fs/promises";
import { loadavg, runClusterBench, type BenchCluster } from "./cluster-bench";
import type { PlotEvent } from "./lib/scatter-plot";
import { writeStepChart, type StepSeries } from "./lib/step-chart";

// Balance after failure, on the 3-node test cluster (btrfs, real agents, one control worker with
// the balancer on): SITES small plain sites (no app, no database), then two failovers, each
// followed by the node's return:
//   node-3 killed (kill -9 of every process it has) → its sites fail over → node-3 restarted: it
//   rejoins as a replica, and the balancer brings the site counts back within the band;
//   then the same for node-2.
// Live sites per node are sampled every second and drawn as a step chart (var/bench/rebalance.svg;
// a dashed line is a node that is not HEALTHY); printed: the counts at the key moments, the time
// from each return until the counts are within the band, and every move the balancer started.
//
// The balancer runs with bench timings (SHOAL_BALANCE_TICK_MS and SHOAL_BALANCER_SETTINGS: a round
// every 2 s, 20 s cool-down, 4 s settle, at most 10 moves a minute) so that the run takes minutes,
// not the half hour the production defaults (15 s rounds, 10 min cool-down, 60 s settle, 6 moves
// per 10 min) would take for the same moves. The rules are the same.

const SITES = Number(process.env.SITES ?? 18);
const TAIL_SEC = Number(process.env.TAIL_SEC ?? 20);
const settings = { coolDownMs: 20_000, nodeSettleMs: 4_000, budgetWindowMs: 60_000, maxMovesPerWindow: 10, maxMovesPerRound: 2, countBand: 2 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Sample = { at: number; counts: Record<string, number>; status: Record<string, string> };

async function main(bench: BenchCluster) {
  try {
    await run(bench);
  } catch (e) {
    // What the balancer said last is what explains a wait that timed out.
    console.log((await bench.cluster.logTail("worker", 1, 60)).split("\n").filter((l) => /balancer|error/i.test(l)).slice(-20).join("\n"));
    throw e;
  }
}

async function run({ cluster, db, fixtures }: BenchCluster) {
  const world = await fixtures.makeWorld();
  const plan = await db.plan.create({
    data: { resellerId: world.resellerA.id, name: "Bench rebalance", maxSites: SITES + 2, diskMb: 100_000, maxDatabases: 1, maxMailboxes: 1, trafficGbMonth: 1, snapshotCadenceSec: 2 },
  });
  const { customer, account } = await fixtures.makeCustomer(world.resellerA.id, "Rebalance bench");
  await db.hostingAccount.update({ where: { id: account.id }, data: { planId: plan.id } });
  const caller = fixtures.callerFor(await fixtures.makeUser("CUSTOMER", world.resellerA.id, customer.id));
  const names = cluster.nodes.map((n) => n.name);
  const nodeIds = new Map((await db.node.findMany({ select: { id: true, name: true } })).map((n) => [n.name, n.id]));

  const t0 = Date.now();
  console.log(`rebalance: ${SITES} plain sites on ${names.length} nodes; balancer round 2 s, settings ${JSON.stringify(settings)}; load ${await loadavg()}`);
  const ops: string[] = [];
  const siteIds: string[] = [];
  for (let i = 1; i <= SITES; i++) {
    const d = await caller.domain.create({ name: `s${String(i).padStart(2, "0")}.rebalance.test` });
    const s = await caller.site.create({ domainId: d.id, app: "NONE" });
    ops.push(s.operationId);
    siteIds.push(s.id);
  }
  await cluster.waitFor("every site installed", async () => {
    const failed = await db.operation.findFirst({ where: { id: { in: ops }, status: "FAILED" }, select: { lastError: true } });
    if (failed) throw new Error(`a site install failed: ${failed.lastError}`);
    return (await db.operation.count({ where: { id: { in: ops }, status: "SUCCEEDED" } })) === ops.length;
  }, { timeoutMs: 240_000, intervalMs: 500 });
  console.log(`  ${SITES} sites installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  // Live sites per node and node states, every second, until the end.
  const samples: Sample[] = [];
  const sample = async (): Promise<Sample> => {
    const [live, nodes] = await Promise.all([
      db.placement.groupBy({ by: ["nodeId"], where: { role: "PRIMARY", siteId: { in: siteIds } }, _count: { _all: true } }),
      db.node.findMany({ select: { id: true, name: true, status: true } }),
    ]);
    const byId = new Map(live.map((l) => [l.nodeId, l._count._all]));
    const s: Sample = { at: Date.now(), counts: Object.fromEntries(names.map((n) => [n, byId.get(nodeIds.get(n)!) ?? 0])), status: Object.fromEntries(nodes.map((n) => [n.name, n.status])) };
    samples.push(s);
    return s;
  };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const next = Date.now() + 1000;
      await sample();
      await sleep(Math.max(0, next - Date.now()));
    }
  })();

  const events: PlotEvent[] = [];
  const moments: Array<{ label: string; s: Sample }> = [];
  const mark = async (label: string, moment?: string) => {
    const s = await sample();
    events.push({ at: s.at, label });
    if (moment) moments.push({ label: moment, s });
    return s;
  };
  const healthySpread = (s: Sample) => {
    const c = names.filter((n) => s.status[n] === "HEALTHY").map((n) => s.counts[n]!);
    return Math.max(...c) - Math.min(...c);
  };
  // No move or failover in flight (other kinds, a domain's DNS operation say, do not matter here).
  const quiet = async () =>
    cluster.waitFor("no move or failover in flight", async () => (await db.operation.count({ where: { kind: { in: ["site.move", "site.failover"] }, status: { in: ["PENDING", "RUNNING"] } } })) === 0, { timeoutMs: 180_000, intervalMs: 500 });
  /** Every site live on `victim` has a copy on a healthy node that received a snapshot in the last 30 s. */
  const replicasFresh = (victim: string) =>
    cluster.waitFor(`fresh replicas of ${victim}'s sites`, async () => {
      const onVictim = await db.placement.findMany({ where: { role: "PRIMARY", nodeId: nodeIds.get(victim)!, siteId: { in: siteIds } }, select: { siteId: true } });
      for (const p of onVictim) {
        const fresh = await db.snapshot.count({
          where: { siteId: p.siteId, takenAt: { gt: new Date(Date.now() - 30_000) }, node: { status: "HEALTHY", name: { not: victim } }, site: { placements: { some: { role: "REPLICA", node: { name: { not: victim } } } } } },
        });
        if (fresh === 0) return false;
      }
      return true;
    }, { timeoutMs: 120_000, intervalMs: 500 });

  await quiet();
  await cluster.waitFor("counts within the band", async () => healthySpread(await sample()) < settings.countBand, { timeoutMs: 120_000, intervalMs: 1000 });
  const before = await mark("start", "before");
  const returns: Array<{ node: string; healthyAt: number; bandAt: number; movesBefore: number }> = [];

  for (const [k, victim] of ["node-3", "node-2"].entries()) {
    const index = cluster.nodes.find((n) => n.name === victim)!.index;
    await quiet();
    await replicasFresh(victim);
    await sleep(2_000);
    const killedAt = await cluster.signalNode(index, "SIGKILL");
    events.push({ at: killedAt, label: `kill -9 ${victim}` });
    await cluster.waitFor(`${victim}'s sites failed over`, async () => {
      const left = await db.placement.count({ where: { role: "PRIMARY", nodeId: nodeIds.get(victim)!, siteId: { in: siteIds } } });
      const running = await db.operation.count({ where: { kind: "site.failover", status: { in: ["PENDING", "RUNNING"] } } });
      return left === 0 && running === 0;
    }, { timeoutMs: 120_000, intervalMs: 250 });
    await mark(`${victim}'s sites failed over`, `after failover ${k + 1}`);
    // Down long enough to be seen as an outage (the hold-down), not longer.
    await sleep(5_000);
    events.push({ at: Date.now(), label: `${victim} restarted` });
    await cluster.restartNode(index);
    await cluster.waitFor(`${victim} healthy`, async () => (await db.node.findUniqueOrThrow({ where: { name: victim } })).status === "HEALTHY", { timeoutMs: 120_000, intervalMs: 250 });
    const healthy = await mark(`${victim} healthy (rejoined)`, `${victim} rejoined`);
    const movesBefore = await db.operation.count({ where: { kind: "site.move" } });
    const band = await cluster.waitFor("counts within the band", async () => {
      const s = await sample();
      return healthySpread(s) < settings.countBand && s.status[victim] === "HEALTHY" ? s : undefined;
    }, { timeoutMs: 240_000, intervalMs: 500 });
    events.push({ at: band.at, label: `within the band again` });
    moments.push({ label: `band reached after ${victim} returned`, s: band });
    returns.push({ node: victim, healthyAt: healthy.at, bandAt: band.at, movesBefore });
  }
  // A quiet tail: nothing should move once the counts are in the band.
  const tailFrom = Date.now();
  await quiet();
  await sleep(TAIL_SEC * 1000);
  const end = await mark("end", "end");
  sampling = false;
  await sampler;

  // What the balancer started, in order, with its reasons.
  const moves = await db.operation.findMany({ where: { kind: "site.move" }, orderBy: { createdAt: "asc" }, select: { id: true, targetId: true, status: true, createdAt: true, finishedAt: true } });
  // The audit row is written in the move's own transaction: the same site, the same moment.
  const auditRows = await db.auditEvent.findMany({ where: { action: "site.move" }, select: { targetId: true, createdAt: true, actorEmail: true, after: true } });
  const auditOf = (m: { targetId: string; createdAt: Date }) =>
    auditRows.filter((a) => a.targetId === m.targetId).sort((a, b) => Math.abs(a.createdAt.getTime() - m.createdAt.getTime()) - Math.abs(b.createdAt.getTime() - m.createdAt.getTime()))[0];
  const domainOf = new Map((await db.site.findMany({ where: { id: { in: siteIds } }, select: { id: true, domain: { select: { name: true } } } })).map((s) => [s.id, s.domain.name]));
  const afterTail = moves.filter((m) => m.createdAt.getTime() >= tailFrom);

  const sec = (at: number) => ((at - before.at) / 1000).toFixed(0);
  const pad = (v: string | number, n: number) => String(v).padStart(n);
  console.log("");
  console.log(`  ${"moment".padEnd(34)} ${pad("t (s)", 6)} ${names.map((n) => pad(n, 7)).join(" ")}`);
  for (const m of moments) console.log(`  ${m.label.padEnd(34)} ${pad(sec(m.s.at), 6)} ${names.map((n) => pad(`${m.s.counts[n]}${m.s.status[n] === "HEALTHY" ? "" : "*"}`, 7)).join(" ")}`);
  console.log(`  (* = the node is not HEALTHY; its count is what Postgres still places there)`);
  for (const r of returns) {
    const n = moves.filter((m) => m.createdAt.getTime() >= r.healthyAt && m.createdAt.getTime() <= r.bandAt).length;
    console.log(`  ${r.node} back: within the band ${((r.bandAt - r.healthyAt) / 1000).toFixed(1)} s after it was healthy again, ${n} moves`);
  }
  console.log(`  moves started by the balancer: ${moves.length}, ${moves.filter((m) => m.status === "SUCCEEDED").length} succeeded; started in the ${TAIL_SEC} s tail: ${afterTail.length}`);
  const seen = new Map<string, number>();
  for (const m of moves) {
    const a = auditOf(m);
    const reason = ((a?.after as { reason?: string } | null)?.reason ?? "").replace(/^balancer: /, "");
    seen.set(m.targetId, (seen.get(m.targetId) ?? 0) + 1);
    console.log(`    ${pad(sec(m.createdAt.getTime()), 4)} s ${a?.actorEmail ?? "?"} ${domainOf.get(m.targetId) ?? m.targetId} ${m.status.toLowerCase()} in ${m.finishedAt ? ((m.finishedAt.getTime() - m.createdAt.getTime()) / 1000).toFixed(1) : "?"} s: ${reason}`);
  }
  console.log(`  sites moved more than once: ${[...seen.values()].filter((v) => v > 1).length}`);

  const colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
  const series: StepSeries[] = names.map((n, i) => ({
    label: n,
    colour: colours[i % colours.length]!,
    points: samples.filter((s) => s.at >= before.at).map((s) => ({ at: s.at, value: s.counts[n]!, down: s.status[n] !== "HEALTHY" })),
  }));
  await mkdir("var/bench", { recursive: true });
  const file = await writeStepChart("var/bench/rebalance.svg", series, {
    title: `Live sites per node: ${SITES} sites, two failovers, each node back and rebalanced`,
    subtitle: `3 real nodes (btrfs), one control worker, balancer round 2 s, band ${settings.countBand}, cool-down ${settings.coolDownMs / 1000} s, settle ${settings.nodeSettleMs / 1000} s, at most ${settings.maxMovesPerWindow} moves a minute; dashed: node not HEALTHY`,
    yLabel: "live sites",
    startedAt: before.at,
    events: events.filter((e) => e.at >= before.at),
  });
  if (process.env.DOCS_COPY) await copyFile(file, process.env.DOCS_COPY);
  console.log(`plot: ${file}; ${((end.at - t0) / 1000).toFixed(0)} s in all; load at the end ${await loadavg()}`);
}

runClusterBench(main, {
  workers: 1,
  storage: "btrfs",
  workerEnv: {
    SHOAL_HOLD_DOWN_MS: "4000",
    SHOAL_SNAPSHOT_TICK_MS: "1000",
    SHOAL_BALANCE_TICK_MS: "2000",
    SHOAL_BALANCER_SETTINGS: JSON.stringify(settings),
  },
});
