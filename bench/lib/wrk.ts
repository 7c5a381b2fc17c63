import { runCommand } from "../../worker/agent/run-command";

// wrk (Debian's package) as the benches drive it: a closed loop of `connections` for `seconds`,
// its requests/s and latency percentiles read from its --latency output.

export type WrkFigures = { rps: number; p50: number; p99: number };

/** "1.23ms" / "450.00us" / "1.02s" in microseconds. */
function micros(text: string): number {
  const match = /^([0-9.]+)(us|ms|s)$/.exec(text);
  if (!match) throw new Error(`Unreadable wrk latency "${text}"`);
  const value = Number(match[1]);
  return match[2] === "us" ? value : match[2] === "ms" ? value * 1_000 : value * 1_000_000;
}

/** One wrk run at `url` with a Host header; a response that is not 2xx/3xx fails the run. */
export async function wrk(url: string, opts: { host: string; connections: number; seconds: number; timeout?: string }): Promise<WrkFigures> {
  const args = ["-t2", `-c${opts.connections}`, `-d${opts.seconds}s`, ...(opts.timeout ? ["--timeout", opts.timeout] : []), "--latency", "-H", `Host: ${opts.host}`, url];
  const { stdout } = await runCommand("/usr/bin/wrk", args, { timeoutMs: (opts.seconds + 30) * 1_000 });
  const rps = /Requests\/sec:\s+([0-9.]+)/.exec(stdout)?.[1];
  const p50 = /^\s+50%\s+(\S+)/m.exec(stdout)?.[1];
  const p99 = /^\s+99%\s+(\S+)/m.exec(stdout)?.[1];
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1];
  if (!rps || !p50 || !p99) throw new Error(`Unreadable wrk output:\n${stdout}`);
  if (errors) throw new Error(`${url}: ${errors} responses were not 2xx/3xx`);
  return { rps: Number(rps), p50: micros(p50), p99: micros(p99) };
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
