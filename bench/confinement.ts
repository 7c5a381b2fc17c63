import { existsSync } from "node:fs";
import type { NodeRoot } from "../worker/agent/node-root";
import { converge } from "../worker/agent/converge";
import { removeEgressRules } from "../worker/agent/drivers/egress";
import { phpFpmPid, stopPhpFpm } from "../worker/agent/drivers/php-fpm";
import { runCommand } from "../worker/agent/run-command";
import { median, wrk as wrkRun, type WrkFigures } from "./lib/wrk";
import { waitFor } from "../worker/agent/wait-for";
import { startEdge, type Edge } from "../worker/edge/edge-routes";
import { destroyNode, httpGet, makeNode, uniqueUsername } from "../tests/integration/agent/node-harness";

// What the tenant confinement costs a real page. One node, WordPress installed by the agent, wrk
// through the node's front door at the front page (PHP, MariaDB over TCP, the egress rule on every
// packet), alternating two set-ups over several rounds so that drift on the machine hits both alike:
//   (confined)   as the agent runs it: the account's php-fpm master in its cgroup (CPU, memory,
//                pids limits of a two-core plan) and mount
//                namespace, the node's nftables egress table loaded;
//   (unconfined) the same master started directly as root's child outside any account group, and
//                the node's egress table deleted: the set-up before tenant isolation.
// Target: the two within 5% (requests/s).
//
// Run: npx tsx bench/confinement.ts (wrk from Debian: apt-get install -y wrk). About 2 minutes.

const rounds = Number(process.env.CONFINE_BENCH_ROUNDS ?? 4);
const seconds = Number(process.env.CONFINE_BENCH_SECONDS ?? 8);
const connections = Number(process.env.CONFINE_BENCH_CONNECTIONS ?? 8);
const host = "confine.bench.test";

type Figures = WrkFigures;
const wrk = (url: string) => wrkRun(url, { host, connections, seconds, timeout: "10s" });

async function main(): Promise<void> {
  if (!existsSync("/usr/bin/wrk")) throw new Error("wrk is missing: apt-get install -y wrk.");
  const username = uniqueUsername("conf");
  const dbName = `${username}_wp`;
  let node: NodeRoot | null = null;
  let edge: Edge | null = null;
  try {
    node = await makeNode("127.0.29.1", 18291, 13291, { backendPort: 18292, holdPort: 18293 });
    const spec = {
      // Limits as a plan of two cores would set them: the bench measures what confining costs,
      // not what a smaller plan's CPU share takes away (that is the plan doing its job).
      accounts: [{ id: "acc1", username, status: "ACTIVE", limits: { cpuPercent: 200, memoryMb: 1024, pids: 256, ioWeight: 100, diskMb: 2048 } }],
      sites: [
        {
          id: "site1",
          accountId: "acc1",
          domains: [host],
          documentRoot: "public",
          phpSettings: {},
          status: "ACTIVE",
          app: {
            kind: "wordpress",
            title: "Confinement bench",
            url: `http://${host}/`,
            adminUser: "admin",
            adminEmail: "admin@example.com",
            adminPassword: "bench-admin-password-0001",
            database: { name: dbName, user: dbName, password: "bench-database-password-1" },
          },
        },
      ],
      databases: [{ id: "db1", accountId: "acc1", name: dbName, users: [{ username: dbName, password: "bench-database-password-1" }] }],
    };
    const failed = (await converge(node, spec)).filter((r) => !r.ok);
    if (failed.length) throw new Error(`Converge failed: ${JSON.stringify(failed)}`);
    edge = await startEdge(node);
    const put = await edge.put({ routes: [{ siteId: "site1", domains: [host], target: { address: node.address, port: node.backendPort }, epoch: 1, paused: false }] });
    if (!put.ok) throw new Error(`Routes refused: ${JSON.stringify(put)}`);
    const n = node;
    const url = `http://${n.address}:${n.httpPort}/`;
    const check = async () => {
      const res = await httpGet(n, host, "/", { timeoutMs: 20_000 });
      if (res.status !== 200 || !res.body.includes("Confinement bench")) throw new Error(`front page: ${res.status}`);
    };

    const confined = async () => {
      await stopPhpFpm(n, username);
      const failedAgain = (await converge(n, spec)).filter((r) => !r.ok);
      if (failedAgain.length) throw new Error(`Converge failed: ${JSON.stringify(failedAgain)}`);
      await check();
    };
    const unconfined = async () => {
      await stopPhpFpm(n, username);
      await removeEgressRules(n);
      await runCommand("/usr/sbin/php-fpm8.2", ["-y", n.phpFpmConf(username)]);
      await waitFor("the unconfined master", () => phpFpmPid(n, username));
      await check();
    };

    console.log(`wrk -t2 -c${connections} -d${seconds}s, ${rounds} rounds alternating, GET / (WordPress front page) through the front door`);
    const cases = [
      { key: "confined", setUp: confined },
      { key: "unconfined", setUp: unconfined },
    ] as const;
    const samples = new Map<string, Figures[]>(cases.map((c) => [c.key, []]));
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 ? cases : [...cases].reverse();
      for (const c of order) {
        await c.setUp();
        await wrk(url).catch(() => undefined); // warm-up: opcache, workers
        const figures = await wrk(url);
        samples.get(c.key)!.push(figures);
        console.log(`  round ${round} ${c.key.padEnd(10)}: ${figures.rps.toFixed(1)} req/s, p50 ${(figures.p50 / 1000).toFixed(1)} ms, p99 ${(figures.p99 / 1000).toFixed(1)} ms`);
      }
    }
    console.log("\nmedians");
    const med = (key: string) => {
      const s = samples.get(key)!;
      return { rps: median(s.map((x) => x.rps)), p50: median(s.map((x) => x.p50)), p99: median(s.map((x) => x.p99)) };
    };
    for (const c of cases) {
      const m = med(c.key);
      console.log(`  ${c.key.padEnd(10)}  ${m.rps.toFixed(1).padStart(7)} req/s   p50 ${(m.p50 / 1000).toFixed(1)} ms   p99 ${(m.p99 / 1000).toFixed(1)} ms`);
    }
    const ratio = med("confined").rps / med("unconfined").rps;
    console.log(`confined / unconfined = ${ratio.toFixed(3)} (target within 5%: ${Math.abs(1 - ratio) <= 0.05 ? "met" : "NOT met"})`);
    await confined();
  } finally {
    await edge?.close().catch(() => undefined);
    if (node) await destroyNode(node);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
