import { readFile } from "node:fs/promises";
import { loadavg, runClusterBench, summary, type BenchCluster } from "./cluster-bench";
import { formatTimings, scrapeConvergeTimings, since } from "./lib/converge-timing";

// Apply latency: a customer's "create site" acknowledged by the panel (the tRPC mutation returns:
// desired state, operation and outbox row committed) → applied and verified (the operation is
// SUCCEEDED: the site's node converged, every edge has its route, and a GET through every node's
// front door answered). 200 plain sites arrive open-loop at RATE per second from 20 customers.
// Agent memory: the agents' own RSS (VmRSS of the agent processes) sampled through the run.
// Targets: p50 ≤ 1 s, p99 ≤ 3 s; agent RSS ≤ 100 MB.
// LIMITS=off starts the agents with SHOAL_BENCH_UNCONFINED=1 (no cgroup limits, egress rules, disk
// quotas or mount namespaces: worker/agent/node-root.ts), for apply-latency-limits.ts, which
// alternates runs with and without them. The last line, "RESULT {json}", is for that wrapper.

const SITES = Number(process.env.SITES ?? 200);
const RATE = Number(process.env.RATE ?? 5);
const LIMITS = process.env.LIMITS ?? "on";
if (LIMITS !== "on" && LIMITS !== "off") throw new Error('LIMITS must be "on" or "off".');
const CUSTOMERS = 20;

async function agentRssMb(): Promise<number[]> {
  const { readdir } = await import("node:fs/promises");
  const out: number[] = [];
  for (const e of await readdir("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = (await readFile(`/proc/${e}/cmdline`, "utf8")).split("\0");
      if (!cmd.some((arg) => arg.endsWith("var/build/agent.mjs"))) continue;
      const env = await readFile(`/proc/${e}/environ`, "utf8");
      if (!env.includes("AGENT_HOST=127.0.2.")) continue;
      const status = await readFile(`/proc/${e}/status`, "utf8");
      out.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      // gone
    }
  }
  return out;
}

async function main({ db, fixtures, cluster }: BenchCluster) {
  const t0 = Date.now();
  const world = await fixtures.makeWorld();
  const plan = await db.plan.create({ data: { resellerId: world.resellerA.id, name: "Bench", maxSites: 50, diskMb: 100_000, maxDatabases: 50, maxMailboxes: 1, trafficGbMonth: 1 } });
  const callers = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    const { customer, account } = await fixtures.makeCustomer(world.resellerA.id, `Bench ${c}`);
    await db.hostingAccount.update({ where: { id: account.id }, data: { planId: plan.id } });
    const user = await fixtures.makeUser("CUSTOMER", world.resellerA.id, customer.id);
    callers.push(fixtures.callerFor(user));
  }
  // Domains first (their own operations, not measured).
  const domains: { caller: (typeof callers)[number]; id: string }[] = [];
  for (let i = 0; i < SITES; i++) {
    const caller = callers[i % CUSTOMERS]!;
    domains.push({ caller, id: (await caller.domain.create({ name: `apply-${i}.test` })).id });
  }
  console.log(`set-up ${((Date.now() - t0) / 1000).toFixed(1)} s; ${SITES} sites at ${RATE}/s, limits ${LIMITS}, load ${await loadavg()}`);

  const timingsBefore = await scrapeConvergeTimings(cluster);
  const acks: { operationId: string; ackedAt: number }[] = [];
  const rss: number[] = [];
  const sampler = setInterval(() => void agentRssMb().then((v) => rss.push(...v)), 1000);
  const started = Date.now();
  await Promise.all(
    domains.map(async (d, i) => {
      const due = started + (i * 1000) / RATE;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      const res = await d.caller.site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
      acks.push({ operationId: res.operationId, ackedAt: Date.now() });
    }),
  );
  const deadline = Date.now() + 180_000;
  for (;;) {
    const open = await db.operation.count({ where: { id: { in: acks.map((a) => a.operationId) }, status: { in: ["PENDING", "RUNNING"] } } });
    if (open === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  clearInterval(sampler);
  const ops = await db.operation.findMany({ where: { id: { in: acks.map((a) => a.operationId) } }, select: { id: true, status: true, finishedAt: true } });
  const byId = new Map(ops.map((o) => [o.id, o]));
  const latencies = acks.flatMap((a) => {
    const op = byId.get(a.operationId);
    return op?.status === "SUCCEEDED" && op.finishedAt ? [op.finishedAt.getTime() - a.ackedAt] : [];
  });
  const failed = ops.filter((o) => o.status !== "SUCCEEDED").length;
  // Where the time goes, per site: waiting for its node's reconcile to start (placement step
  // done), that reconcile (node steps done), then the other edges' routes and the serve check.
  const steps = await db.operationStep.findMany({ where: { operationId: { in: acks.map((a) => a.operationId) } }, select: { operationId: true, kind: true, finishedAt: true } });
  const stepAt = (opId: string, kind: string) => steps.find((x) => x.operationId === opId && x.kind === kind)?.finishedAt?.getTime();
  const waits: number[] = [];
  const applies: number[] = [];
  const edgesAndCheck: number[] = [];
  for (const a of acks) {
    const placed = stepAt(a.operationId, "placement");
    const store = stepAt(a.operationId, "site store");
    const done = byId.get(a.operationId)?.finishedAt?.getTime();
    if (placed && store && done) {
      waits.push(placed - a.ackedAt);
      applies.push(store - placed);
      edgesAndCheck.push(done - store);
    }
  }
  const s = summary(latencies);
  const m = summary(rss);
  console.log(`\napply latency, acknowledged → applied and verified on every edge (${s.n} sites, ${failed} not finished)`);
  console.log(`  p50 ${s.p50} ms   p90 ${s.p90} ms   p99 ${s.p99} ms   max ${s.max} ms      target p50 ≤ 1000 ms, p99 ≤ 3000 ms`);
  const [w, ap, ec] = [summary(waits), summary(applies), summary(edgesAndCheck)];
  console.log(`  of which: until its node's reconcile starts p50 ${w.p50} ms (p99 ${w.p99}); that reconcile p50 ${ap.p50} ms (p99 ${ap.p99}); other edges + serve check p50 ${ec.p50} ms (p99 ${ec.p99})`);
  console.log(`agent RSS over the run: p50 ${m.p50.toFixed(1)} MB   max ${m.max.toFixed(1)} MB      target ≤ 100 MB`);
  const timingsAfter = await scrapeConvergeTimings(cluster);
  const phases = since(timingsAfter.phases, timingsBefore.phases);
  const stepTimes = since(timingsAfter.steps, timingsBefore.steps);
  console.log("agents' converges over the run, summed over the nodes (shoal_agent_converge_*_seconds):");
  console.log(formatTimings("phases", phases));
  console.log(formatTimings("steps by kind", stepTimes));
  const load = await loadavg();
  console.log(`load at the end: ${load}`);
  console.log(`RESULT ${JSON.stringify({ limits: LIMITS, sites: s.n, failed, p50: s.p50, p90: s.p90, p99: s.p99, max: s.max, wait: w.p50, reconcile: ap.p50, edges: ec.p50, load, phases: Object.fromEntries(phases), steps: Object.fromEntries(stepTimes) })}`);
}

runClusterBench(main, { workers: 1, storage: "btrfs", agentEnv: LIMITS === "off" ? { SHOAL_BENCH_UNCONFINED: "1" } : {} });
