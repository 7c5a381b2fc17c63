import { spawn } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadavg, runClusterBench, summary } from "./cluster-bench";
import { pdnsPaths } from "../worker/agent/drivers/pdns";
import { lookupSystemUser } from "../worker/agent/system-users";
import { runCommand } from "../worker/agent/run-command";

// Authoritative DNS on the 3-node test cluster (real agents, PowerDNS on 127.0.2.x:53, one control
// worker), in one run:
// 1. ROUNDS record changes (a TXT row and its outbox event committed together, as the zone editor
//    commits one): commit → the new record answered by all three nodes, p50/p99 (target p99 ≤ 1 s),
//    with where the time goes (commit → outbox published → handled).
// 2. Queries/s of node-1's pdns_server answering from Shoal's store (the zones the agent wrote)
//    vs the same pdns_server binary and settings serving a static zone file written by hand with
//    the same records, on its own loopback address: dnsperf, QPS_SECONDS each, alternating
//    QPS_ROUNDS times (target ≥ 0.9×).

const ROUNDS = Number(process.env.ROUNDS ?? 40);
const QPS_SECONDS = Number(process.env.QPS_SECONDS ?? 5);
const QPS_ROUNDS = Number(process.env.QPS_ROUNDS ?? 2);
const zone = "dns-bench.test";
const staticAddress = "127.0.2.60";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function resolverOf(address: string): Resolver {
  const r = new Resolver({ timeout: 300, tries: 1 });
  r.setServers([`${address}:53`]);
  return r;
}

/** dnsperf against `address` for `seconds`: queries per second. */
async function qps(address: string, queryFile: string, seconds: number): Promise<number> {
  const { stdout } = await runCommand("/usr/bin/dnsperf", ["-s", address, "-d", queryFile, "-l", String(seconds), "-c", "4", "-Q", "200000", "-q", "200"], { timeoutMs: (seconds + 30) * 1000 });
  const m = /Queries per second:\s+([0-9.]+)/.exec(stdout);
  if (!m) throw new Error(`dnsperf said: ${stdout}`);
  return Number(m[1]);
}

runClusterBench(async ({ cluster, db, fixtures }) => {
  const world = await fixtures.makeWorld();
  const asA = fixtures.callerFor(world.users.customerA);
  const d = await asA.domain.create({ name: zone });
  await asA.site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
  const addresses = cluster.nodes.map((n) => n.address);
  await cluster.waitFor("every node to answer the zone's A records", async () => {
    for (const a of addresses) if (((await resolverOf(a).resolve4(zone).catch(() => [])) as string[]).length !== 3) return false;
    return true;
  }, { timeoutMs: 120_000 });

  // 1. Record change → answered by all nodes.
  const latencies: number[] = [];
  const published: number[] = [];
  const handled: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const value = `round-${i}-${Date.now()}`;
    const committed = Date.now();
    const [, event] = await db.$transaction([
      db.dnsRecord.create({ data: { domainId: d.id, name: `r${i}`, type: "TXT", content: value, ttl: 60 } }),
      db.outboxEvent.create({ data: { topic: "domain.reconcile", aggregateType: "Domain", aggregateId: d.id } }),
      db.$executeRaw`SELECT pg_notify('shoal_outbox', '')`,
    ]);
    const answeredAt = await cluster.waitFor(`round ${i}: all nodes answer`, async () => {
      for (const a of addresses) {
        const t = await resolverOf(a).resolveTxt(`r${i}.${zone}`).catch(() => []);
        if (t.map((p) => p.join(""))[0] !== value) return false;
      }
      return Date.now();
    }, { timeoutMs: 30_000 });
    latencies.push(answeredAt - committed);
    const row = await db.outboxEvent.findUniqueOrThrow({ where: { id: event.id } });
    if (row.publishedAt) published.push(row.publishedAt.getTime() - committed);
    if (row.handledAt) handled.push(row.handledAt.getTime() - committed);
    await sleep(200);
  }
  const s = summary(latencies);
  console.log(`\nRecord change → answered by all 3 nodes, ${ROUNDS} changes (load ${await loadavg()}):`);
  console.log(`  commit → all nodes answer: p50 ${s.p50} ms, p90 ${s.p90} ms, p99 ${s.p99} ms, max ${s.max} ms (target p99 ≤ 1000 ms)`);
  console.log(`  commit → outbox published: p50 ${summary(published).p50} ms; → handled (every node's reconcile enqueued): p50 ${summary(handled).p50} ms`);

  // 2. Queries/s: Shoal's store on node-1 vs a static zone file on the same pdns build.
  const node1 = cluster.nodes[0]!;
  const paths = pdnsPaths(node1.root);
  const shoalZone = await readFile(paths.zoneFile(zone), "utf8");
  const dir = await mkdtemp("/var/tmp/shoal-dns-static-");
  // pdns reads its zone after dropping to the pdns user.
  await chmod(dir, 0o755);
  const pdns = (await lookupSystemUser("pdns"))!;
  await mkdir(path.join(dir, "run"));
  await chown(path.join(dir, "run"), pdns.uid, pdns.gid);
  await writeFile(path.join(dir, "static.zone"), shoalZone.replace(/^;.*\n/, "; a static zone file, written by hand\n"));
  await writeFile(path.join(dir, "named.conf"), `options { directory "${dir}"; };\nzone "${zone}" { type master; file "${dir}/static.zone"; };\n`);
  const conf = (await readFile(paths.conf, "utf8"))
    .replace(/^bind-config=.*$/m, `bind-config=${dir}/named.conf`)
    .replace(/^local-address=.*$/m, `local-address=${staticAddress}`)
    .replace(/^socket-dir=.*$/m, `socket-dir=${dir}/run`);
  await writeFile(path.join(dir, "pdns.conf"), conf);
  const child = spawn("/usr/sbin/pdns_server", [`--config-dir=${dir}`], { stdio: "ignore" });
  try {
    await cluster.waitFor("the static pdns_server to answer", async () => (await resolverOf(staticAddress).resolveSoa(zone).catch(() => null)) !== null, { timeoutMs: 10_000 });
    const names = [zone, `www.${zone}`, ...Array.from({ length: Math.min(ROUNDS, 20) }, (_, i) => `r${i}.${zone}`)];
    const queries = names.flatMap((n) => [`${n} A`, `${n} TXT`, `${n} SOA`]).join("\n") + "\n";
    const queryFile = path.join(dir, "queries.txt");
    await writeFile(queryFile, queries);
    const shoal: number[] = [];
    const flat: number[] = [];
    for (let r = 0; r < QPS_ROUNDS; r++) {
      shoal.push(await qps(node1.address, queryFile, QPS_SECONDS));
      flat.push(await qps(staticAddress, queryFile, QPS_SECONDS));
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    console.log(`\nQueries/s of one pdns_server (dnsperf -c 4, ${QPS_SECONDS} s × ${QPS_ROUNDS} rounds alternating, ${names.length * 3} distinct questions, load ${await loadavg()}):`);
    console.log(`  Shoal's store (node-1, ${node1.address}):  ${shoal.map((q) => q.toFixed(0)).join(", ")}  mean ${mean(shoal).toFixed(0)} q/s`);
    console.log(`  static zone file (${staticAddress}):     ${flat.map((q) => q.toFixed(0)).join(", ")}  mean ${mean(flat).toFixed(0)} q/s`);
    console.log(`  ratio: ${(mean(shoal) / mean(flat)).toFixed(2)}× (target ≥ 0.9×)`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
});
