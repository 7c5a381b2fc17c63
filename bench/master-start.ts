import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, chmod } from "node:fs/promises";
import { loadavg } from "node:os";
import path from "node:path";
import { converge } from "../worker/agent/converge";
import { startConvergeTimer } from "../worker/agent/converge-timing";
import { nodeRoot, type NodeRoot } from "../worker/agent/node-root";
import { destroyNode, uniqueUsername } from "../tests/integration/agent/node-harness";

// What confining costs one php-fpm master start and one reload, on one node in isolation (no
// cluster, no control plane): two nodes of their own, one as shipped (the account's cgroup,
// mount namespace, egress rules) and one as the bench's unconfined node (SHOAL_BENCH_UNCONFINED),
// each with ACCOUNTS accounts of one site. Each round, alternating which node goes first, times
// through the real converge: every account's first site added (ACCOUNTS master starts, four at a
// time as the agent runs them), a second site for each (a reload each), the second site removed
// (a reload), and every account removed. LOAD busy loops in the root cgroup stand in for the
// rest of a busy machine (the agents, Postgres, other work), since the gap grows with load.
//
// Run as root: npx tsx bench/master-start.ts (ROUNDS=6 ACCOUNTS=4 LOAD=0; about a minute).

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const ACCOUNTS = Number(process.env.ACCOUNTS ?? 4);
const LOAD = Number(process.env.LOAD ?? 0);

type Mode = "confined" | "unconfined";
const samples: Record<Mode, Record<"startPhpFpm" | "reloadPhpFpm" | "converge", number[]>> = {
  confined: { startPhpFpm: [], reloadPhpFpm: [], converge: [] },
  unconfined: { startPhpFpm: [], reloadPhpFpm: [], converge: [] },
};

async function makeBenchNode(address: string, port: number, unconfined: boolean): Promise<NodeRoot> {
  const dir = await mkdtemp("/var/tmp/shoal-master-bench-");
  await chmod(dir, 0o755);
  return nodeRoot({ root: path.join(dir, "node"), address, httpPort: port, mysqlPort: port + 1, backendPort: port + 2, holdPort: port + 3, unconfined });
}

const account = (i: number, username: string) => ({
  id: `acc${i}`,
  username,
  status: "ACTIVE" as const,
  limits: { cpuPercent: 100, memoryMb: 512, pids: 128, ioWeight: 100, diskMb: 1024 },
});
const site = (id: string, accountId: string) => ({
  id,
  accountId,
  domains: [`${id}.master.bench.test`],
  documentRoot: "public",
  phpSettings: {},
  status: "ACTIVE" as const,
});

async function timedConverge(mode: Mode, node: NodeRoot, spec: unknown): Promise<void> {
  const timer = startConvergeTimer({
    onStep: (kind, ms) => {
      if (kind === "startPhpFpm" || kind === "reloadPhpFpm") samples[mode][kind].push(ms);
    },
  });
  const t = performance.now();
  const failed = (await converge(node, spec, { timer })).filter((r) => !r.ok);
  samples[mode].converge.push(performance.now() - t);
  if (failed.length) throw new Error(`${mode}: converge failed: ${JSON.stringify(failed)}`);
}

async function round(mode: Mode, node: NodeRoot, round: number): Promise<void> {
  const names = Array.from({ length: ACCOUNTS }, () => uniqueUsername(`mb${round}`));
  const accounts = names.map((u, i) => account(i, u));
  const one = accounts.map((a) => site(`s${a.id}r${round}a`, a.id));
  const two = accounts.map((a) => site(`s${a.id}r${round}b`, a.id));
  await timedConverge(mode, node, { accounts, sites: one, databases: [] });
  await timedConverge(mode, node, { accounts, sites: [...one, ...two], databases: [] });
  await timedConverge(mode, node, { accounts, sites: one, databases: [] });
  await timedConverge(mode, node, { accounts: [], sites: [], databases: [] });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const busy: ChildProcess[] = [];
  for (let i = 0; i < LOAD; i++) busy.push(spawn("/bin/sh", ["-c", "while :; do :; done"], { stdio: "ignore" }));
  // A bench stopped from outside (timeout) must not leave its busy loops spinning.
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      for (const b of busy) b.kill("SIGKILL");
      process.exit(1);
    });
  }
  const nodes: Record<Mode, NodeRoot | null> = { confined: null, unconfined: null };
  try {
    nodes.confined = await makeBenchNode("127.0.61.1", 18610, false);
    nodes.unconfined = await makeBenchNode("127.0.61.2", 18620, true);
    // A first round each, untimed: page cache, php-fpm's binary and extensions.
    for (const mode of ["confined", "unconfined"] as const) await round(mode, nodes[mode]!, 0);
    for (const mode of ["confined", "unconfined"] as const) for (const k of Object.keys(samples[mode]) as (keyof (typeof samples)[Mode])[]) samples[mode][k] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const order: Mode[] = r % 2 ? ["confined", "unconfined"] : ["unconfined", "confined"];
      for (const mode of order) await round(mode, nodes[mode]!, r);
    }
  } finally {
    for (const b of busy) b.kill("SIGKILL");
    if (process.env.KEEP !== "1") for (const n of Object.values(nodes)) if (n) await destroyNode(n).catch((e: unknown) => console.error(e));
  }
  console.log(`one node each, ${ACCOUNTS} accounts, ${ROUNDS} rounds alternating, ${LOAD} busy loops in the root cgroup; load at end ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  for (const kind of ["startPhpFpm", "reloadPhpFpm", "converge"] as const) {
    const c = median(samples.confined[kind]);
    const u = median(samples.unconfined[kind]);
    console.log(
      `  ${kind.padEnd(13)} median confined ${c.toFixed(1).padStart(6)} ms (${samples.confined[kind].length})   unconfined ${u.toFixed(1).padStart(6)} ms (${samples.unconfined[kind].length})   ratio ${(c / u).toFixed(2)}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
