import { execFileSync } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { BENCH_AUTH_SECRET, benchServerUrl } from "./bench-env";

// The cluster benchmarks run on the cluster test harness (tests/cluster/harness.ts: three real
// nodes on 127.0.2.x, real control workers) against a database of their own, migrated here.
// Everything that reads DATABASE_URL at import time is imported only after it is set.

export const BENCH_CLUSTER_DATABASE = "shoal_bench_cluster";
const root = path.resolve(import.meta.dirname, "..");

/** Drops and re-creates the bench database `name`, migrates it, and points DATABASE_URL at it. */
export async function freshBenchDatabase(name: string): Promise<void> {
  const server = benchServerUrl();
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  process.env.DATABASE_URL = `${server}/${name}`;
  process.env.AUTH_SECRET ??= BENCH_AUTH_SECRET;
  execFileSync(process.execPath, [path.join(root, "node_modules/prisma/build/index.js"), "migrate", "deploy"], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: `--require ${path.join(root, "scripts/unref-timers.cjs")}` },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

export async function startBenchCluster(opts: { nodes?: number; workers?: number; workerEnv?: Record<string, string>; agentEnv?: Record<string, string>; storage?: "btrfs" | "dir" } = {}) {
  await freshBenchDatabase(BENCH_CLUSTER_DATABASE);
  const { startCluster } = await import("../tests/cluster/harness");
  const { db } = await import("../server/db");
  const fixtures = await import("../tests/helpers/fixtures");
  const cluster = await startCluster({ nodes: opts.nodes ?? 3, workers: opts.workers ?? 1, workerEnv: opts.workerEnv, agentEnv: opts.agentEnv, storage: opts.storage });
  return { cluster, db, fixtures };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summary(values: readonly number[]) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

export const loadavg = async () => (await import("node:fs/promises")).readFile("/proc/loadavg", "utf8").then((t) => t.split(" ").slice(0, 3).join(" "));

export type BenchCluster = Awaited<ReturnType<typeof startBenchCluster>>;

/** Starts the cluster, runs `body`, always tears the cluster down, and exits with its outcome. */
export function runClusterBench(body: (bench: BenchCluster) => Promise<void>, opts: Parameters<typeof startBenchCluster>[0] = {}): void {
  (async () => {
    const bench = await startBenchCluster(opts);
    try {
      await bench.cluster.waitFor("three healthy nodes", async () => (await bench.db.node.count({ where: { status: "HEALTHY" } })) === 3, { timeoutMs: 60_000 });
      await body(bench);
    } finally {
      await bench.cluster.stop();
      await bench.db.$disconnect();
    }
  })().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
