import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import mariadb from "mariadb";
import { databasePassword } from "../server/contract/cluster-secrets";
import { runOpenLoopInWorker } from "./lib/open-loop";
import { formatSummary, isFailure } from "./lib/open-loop-summary";
import { writeScatterPlot } from "./lib/scatter-plot";
import { loadavg, runClusterBench, type BenchCluster } from "./cluster-bench";

// A planned move of a WordPress site holding SITE_MB of files and DB_MB of database rows, under a
// constant open-loop load of RATE requests/s through a third node's edge (a static page, so the
// figure is the switch, not PHP on two cores). Prints the load's summary and the move's steps,
// and writes var/bench/move-under-load.png (time on x, latency on y, errors marked, the move's
// steps as events). Target: max added latency of held requests ≤ 500 ms, 0 non-2xx.

const SITE_MB = Number(process.env.SITE_MB ?? 100);
const DB_MB = Number(process.env.DB_MB ?? 20);
const RATE = Number(process.env.RATE ?? 200);
const SECONDS = Number(process.env.SECONDS ?? 30);

async function main({ cluster, db, fixtures }: BenchCluster) {
  const world = await fixtures.makeWorld();
  const plan = await db.plan.create({ data: { resellerId: world.resellerA.id, name: "Bench move", maxSites: 5, diskMb: 100_000, maxDatabases: 5, maxMailboxes: 1, trafficGbMonth: 1 } });
  const { customer, account } = await fixtures.makeCustomer(world.resellerA.id, "Move bench");
  await db.hostingAccount.update({ where: { id: account.id }, data: { planId: plan.id } });
  const caller = fixtures.callerFor(await fixtures.makeUser("CUSTOMER", world.resellerA.id, customer.id));
  const domain = await caller.domain.create({ name: "move-bench.test" });
  const site = await caller.site.create({ domainId: domain.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
  await cluster.waitFor("the install", async () => (await db.operation.findUniqueOrThrow({ where: { id: site.operationId } })).status === "SUCCEEDED", { timeoutMs: 120_000 });
  const placements = await db.placement.findMany({ where: { siteId: site.id }, include: { node: true } });
  const live = placements.find((p) => p.role === "PRIMARY")!;
  const replica = placements.find((p) => p.role === "REPLICA")!;
  const liveNode = cluster.nodes.find((n) => n.name === live.node.name)!;

  // The site's weight: SITE_MB in 1 MB files, DB_MB of rows in its database.
  const docroot = path.join(liveNode.root.siteDir(account.username, site.id), "public");
  await mkdir(path.join(docroot, "media"), { recursive: true });
  for (let i = 0; i < SITE_MB; i++) await writeFile(path.join(docroot, "media", `file-${i}.bin`), randomBytes(1024 * 1024));
  await writeFile(path.join(docroot, "hello.html"), "hello from the moving site\n");
  const database = await db.database.findFirstOrThrow({ where: { siteId: site.id }, include: { users: true } });
  const conn = await mariadb.createConnection({ host: liveNode.address, port: 13306, user: database.users[0]!.username, password: databasePassword(cluster.clusterSecret, database.users[0]!.id), database: database.name });
  await conn.query("CREATE TABLE bench_rows (id INT AUTO_INCREMENT PRIMARY KEY, body MEDIUMTEXT) ENGINE=InnoDB");
  for (let i = 0; i < DB_MB * 4; i++) await conn.query("INSERT INTO bench_rows (body) VALUES (?)", [randomBytes(192 * 1024).toString("base64")]);
  await conn.end();
  console.log(`site: ${SITE_MB} MB of files, about ${DB_MB} MB of rows; live on ${live.node.name}, replica on ${replica.node.name}; load ${await loadavg()}`);
  await cluster.waitFor("a snapshot with the data on the replica", async () => {
    const newest = await db.snapshot.findFirst({ where: { siteId: site.id, nodeId: replica.nodeId }, orderBy: { takenAt: "desc" } });
    return newest !== null && newest.sizeBytes > BigInt(SITE_MB * 1024 * 1024);
  }, { timeoutMs: 180_000, intervalMs: 500 });

  const target = replica;
  const edge = cluster.nodes.find((n) => n.name !== live.node.name && n.name !== target.node.name)!;
  const load = runOpenLoopInWorker({ target: { host: edge.address, port: 18080 }, hostHeader: "move-bench.test", path: "/hello.html", ratePerSec: RATE, durationMs: SECONDS * 1000, timeoutMs: 35_000, retryStaleConnection: true });
  await new Promise((r) => setTimeout(r, 8_000));
  const requested = Date.now();
  const admin = fixtures.callerFor(world.users.admin);
  const move = await admin.site.move({ id: site.id, toNodeId: target.nodeId });
  const op = await cluster.waitFor("the move", async () => {
    const o = await db.operation.findUniqueOrThrow({ where: { id: move.operationId }, include: { steps: { orderBy: { index: "asc" } } } });
    if (o.status === "FAILED") throw new Error(`move failed: ${o.lastError}`);
    return o.status === "SUCCEEDED" ? o : undefined;
  }, { timeoutMs: 120_000, intervalMs: 50 });
  const result = await load;
  const s = result.summary;

  const at = (kind: string, edgeOf: "startedAt" | "finishedAt") => op.steps.find((x) => x.kind === kind)?.[edgeOf]?.getTime() ?? 0;
  const paused = at("pause", "startedAt");
  const released = at("release", "finishedAt");
  const heldAdded = result.records.filter((r) => r.scheduledAt >= paused - 50 && r.scheduledAt <= released).map((r) => r.latencyMs ?? 0);
  console.log(`\nplanned move of ${SITE_MB} MB + ${DB_MB} MB under ${RATE} requests/s through ${edge.name}'s edge (${live.node.name} → ${target.node.name})`);
  console.log(`  ${formatSummary(s)}`);
  console.log(`  ${result.records.filter((r) => r.retried).length} request(s) retried on a fresh connection after nginx closed a kept-alive one (as a browser does)`);
  const failures = result.records.filter(isFailure);
  if (failures.length) {
    const t0 = result.records[0]!.scheduledAt;
    const when = (r: (typeof failures)[number]) => `${r.status ?? r.error} at ${((r.scheduledAt - t0) / 1000).toFixed(2)} s after ${r.latencyMs.toFixed(0)} ms${r.reusedSocket ? " on a kept-alive socket" : ""}`;
    console.log(`  failed requests: ${failures.slice(0, 10).map(when).join("; ")}; the edge's nginx said:`);
    const errors = await readFile(path.join(edge.root.logDir, "nginx-error.log"), "utf8").catch(() => "");
    for (const line of errors.split("\n").filter((l) => /\[(error|crit|alert)\]/.test(l)).slice(-5)) console.log(`    ${line}`);
  }
  console.log(`  held window (pause → release): ${released - paused} ms; max latency of a held request ${Math.max(0, ...heldAdded).toFixed(0)} ms (baseline p50 ${s.p50.toFixed(1)} ms)      target: max added ≤ 500 ms, 0 non-2xx`);
  for (const step of op.steps) console.log(`    ${step.kind.padEnd(24)} ${String(step.finishedAt!.getTime() - step.startedAt!.getTime()).padStart(6)} ms`);
  // What the control worker timed inside the steps (worker/control/move-site.ts logs them).
  // The worker logs JSON lines (pino): the message is in "msg".
  const message = (line: string) => {
    try {
      const msg = (JSON.parse(line) as { msg?: unknown }).msg;
      return typeof msg === "string" ? msg : line;
    } catch {
      return line;
    }
  };
  const workerLines = (await cluster.logTail("worker", 1, 2000)).split("\n").map(message).filter((l) => l.includes(`move ${site.id}:`));
  console.log(`  the worker's timings:\n${workerLines.map((l) => `    ${l.replace(/^.*?move [a-z0-9]+: /, "")}`).join("\n")}`);
  const png = await writeScatterPlot(result.records, {
    file: "var/bench/move-under-load.png",
    title: `Planned move of a ${SITE_MB} MB site with ${DB_MB} MB of rows under ${RATE} requests/s`,
    startedAt: result.startedAt,
    events: [
      { at: requested, label: "move requested" },
      { at: paused, label: "pause" },
      { at: released, label: "released on the target" },
    ],
  });
  console.log(`plot: ${png}; load at the end ${await loadavg()}`);
}

runClusterBench(main, { workers: 1, storage: "btrfs" });
