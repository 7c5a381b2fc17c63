import { scrapeToken } from "../../server/contract/agent-signature";
import type { Cluster } from "../../tests/cluster/harness";

// The agents' converge timings (shoal_agent_converge_step_seconds and shoal_agent_converge_seconds,
// worker/agent/agent-metrics.ts), scraped from each node's /metrics and summed over the nodes, so
// a bench can say which steps its time went to.

export type TimingTotals = Map<string, { count: number; seconds: number }>;

/** `<name>_sum` and `<name>_count` of one histogram, by the value of its one label. */
export function parseHistogramTotals(text: string, name: string, label: string): TimingTotals {
  const out: TimingTotals = new Map();
  const line = new RegExp(`^${name}_(sum|count)\\{${label}="([^"]+)"\\} ([0-9.eE+-]+)$`);
  for (const row of text.split("\n")) {
    const m = line.exec(row.trim());
    if (!m) continue;
    const entry = out.get(m[2]!) ?? { count: 0, seconds: 0 };
    if (m[1] === "sum") entry.seconds += Number(m[3]);
    else entry.count += Number(m[3]);
    out.set(m[2]!, entry);
  }
  return out;
}

function add(into: TimingTotals, from: TimingTotals): void {
  for (const [k, v] of from) {
    const e = into.get(k) ?? { count: 0, seconds: 0 };
    into.set(k, { count: e.count + v.count, seconds: e.seconds + v.seconds });
  }
}

/** The difference `after - before` (a scrape before the measured window and one after it). */
export function since(after: TimingTotals, before: TimingTotals): TimingTotals {
  const out: TimingTotals = new Map();
  for (const [k, v] of after) {
    const b = before.get(k) ?? { count: 0, seconds: 0 };
    if (v.count - b.count > 0) out.set(k, { count: v.count - b.count, seconds: v.seconds - b.seconds });
  }
  return out;
}

/** The cluster harness's side this needs: its nodes' secrets and its (TLS) agent fetch. */
type Scrapable = Pick<Cluster, "nodes" | "agentFetch">;

/** Steps by kind and converge phases, summed over every node of the cluster. */
export async function scrapeConvergeTimings(cluster: Scrapable): Promise<{ steps: TimingTotals; phases: TimingTotals }> {
  const steps: TimingTotals = new Map();
  const phases: TimingTotals = new Map();
  for (let i = 1; i <= cluster.nodes.length; i++) {
    const res = await cluster.agentFetch(i, "/metrics", { headers: { authorization: `Bearer ${scrapeToken(cluster.nodes[i - 1]!.secret)}` } });
    if (!res.ok) throw new Error(`Scraping node ${i}'s /metrics answered ${res.status}.`);
    const text = await res.text();
    add(steps, parseHistogramTotals(text, "shoal_agent_converge_step_seconds", "kind"));
    add(phases, parseHistogramTotals(text, "shoal_agent_converge_seconds", "phase"));
  }
  return { steps, phases };
}

/** A table, largest total first: kind, how many, total seconds, mean ms. */
export function formatTimings(title: string, totals: TimingTotals, limit = 12): string {
  const rows = [...totals].sort((a, b) => b[1].seconds - a[1].seconds).slice(0, limit);
  const lines = rows.map(([k, v]) => `    ${k.padEnd(22)} ${String(v.count).padStart(5)}×  ${v.seconds.toFixed(2).padStart(7)} s  mean ${((v.seconds / v.count) * 1000).toFixed(1).padStart(7)} ms`);
  return [`  ${title}`, ...lines].join("\n");
}
