import { spawn } from "node:child_process";
import path from "node:path";

// The cost of the tenant limits on apply latency, side by side in one run: apply-latency.ts
// alternately with the limits on (as shipped) and off (the agents started with
// SHOAL_BENCH_UNCONFINED=1: no cgroup limits, no nftables egress rules, no btrfs quota groups, no
// mount namespace; each account still gets its own php-fpm master). ROUNDS runs in all (default
// 4: on, off, on, off), each on a fresh cluster; SITES and RATE go to every run. Prints each run's
// line, the medians per mode, their ratio, and the converge steps per mode. As root, under the
// cluster lock (it runs the cluster harness).

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const root = path.resolve(import.meta.dirname, "..");

type Totals = Record<string, { count: number; seconds: number }>;
type Result = {
  limits: "on" | "off";
  sites: number;
  failed: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  wait: number;
  reconcile: number;
  edges: number;
  load: string;
  phases: Totals;
  steps: Totals;
};

function runOnce(limits: "on" | "off"): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench/apply-latency.ts")], {
      cwd: root,
      env: { ...process.env, LIMITS: limits },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      // Each run's own report goes to stderr as it comes; stdout keeps the comparison.
      process.stderr.write(chunk.split("\n").filter((l) => !l.startsWith("RESULT ")).join("\n"));
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) return reject(new Error(`apply-latency.ts (limits ${limits}) exited with ${code}:\n${out}`));
      resolve(JSON.parse(line.slice("RESULT ".length)) as Result);
    });
  });
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
};

const line = (r: Result) =>
  `p50 ${String(r.p50).padStart(5)} ms  p90 ${String(r.p90).padStart(5)} ms  p99 ${String(r.p99).padStart(5)} ms  reconcile p50 ${String(r.reconcile).padStart(5)} ms  (${r.sites} sites, ${r.failed} not finished; load at end ${r.load})`;

/** Mean ms per step of `kind` over the runs of one mode. */
function meanStep(runs: Result[], kind: string): { count: number; ms: number } | null {
  let count = 0;
  let seconds = 0;
  for (const r of runs) {
    count += r.steps[kind]?.count ?? 0;
    seconds += r.steps[kind]?.seconds ?? 0;
  }
  return count === 0 ? null : { count, ms: (seconds / count) * 1000 };
}

async function main() {
  const runs: Result[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const limits = i % 2 === 0 ? "on" : "off";
    const r = await runOnce(limits);
    runs.push(r);
    console.log(`run ${i + 1}, limits ${limits.padEnd(3)}  ${line(r)}`);
  }
  const on = runs.filter((r) => r.limits === "on");
  const off = runs.filter((r) => r.limits === "off");
  const med = (rs: Result[], k: "p50" | "p90" | "p99" | "reconcile") => median(rs.map((r) => r[k]));
  console.log(`\nmedians of ${on.length} runs each (${process.env.SITES ?? 200} sites at ${process.env.RATE ?? 5}/s, 20 customers, btrfs nodes)`);
  for (const [name, rs] of [["limits on ", on], ["limits off", off]] as const) {
    console.log(`  ${name}  p50 ${String(med(rs, "p50")).padStart(5)} ms  p90 ${String(med(rs, "p90")).padStart(5)} ms  p99 ${String(med(rs, "p99")).padStart(5)} ms  reconcile p50 ${String(med(rs, "reconcile")).padStart(5)} ms`);
  }
  const ratio = (k: "p50" | "p90" | "reconcile") => (med(on, k) / med(off, k)).toFixed(3);
  console.log(`on / off: p50 ${ratio("p50")}, p90 ${ratio("p90")}, reconcile p50 ${ratio("reconcile")} (target within 5%: ${Math.abs(Number(ratio("p50")) - 1) <= 0.05 ? "met" : "not met"})`);
  const kinds = [...new Set(runs.flatMap((r) => Object.keys(r.steps)))].sort();
  console.log("\nconverge steps, mean ms per step (count over all runs of the mode)");
  for (const kind of kinds) {
    const a = meanStep(on, kind);
    const b = meanStep(off, kind);
    const cell = (x: { count: number; ms: number } | null) => (x ? `${x.ms.toFixed(1).padStart(8)} ms (${String(x.count).padStart(4)}×)` : "         -         ");
    console.log(`  ${kind.padEnd(22)} on ${cell(a)}   off ${cell(b)}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
