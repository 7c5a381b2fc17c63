import { open, readFile, rename, stat, statfs, type FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import {
  maxReportedSites,
  metricsHostPattern,
  nodeMetricsSchema,
  type NodeMetrics,
  type SiteRates,
} from "../../server/contract/node-metrics";
import { reopenNginxLogs } from "./drivers/nginx";
import type { NodeRoot } from "./node-root";
import { processLogger, toLog, type Log } from "../../server/observability/logger";

// The node's heartbeat: GET /v1/metrics is polled by the control plane twice a second, so a
// sample must be cheap. CPU and memory come from /proc (two small reads), disk from one statfs, and
// per-site request rates from the front door's access log, of which only the bytes appended since
// the previous sample are read.

/** Per-site rates are averaged over this many seconds. */
export const trafficWindowSec = 10;
/** The access log is rotated (renamed to .1, then nginx reopens it) once it grows past this. */
export const maxAccessLogBytes = 64 * 1024 * 1024;
/**
 * Hosts come from request headers, so anybody can invent millions: the tracker forgets new hosts
 * beyond this many (until old ones leave the window), and the report names the busiest only.
 */
export const maxTrackedHosts = 20_000;

export type AccessLine = { atSec: number; host: string; status: number };

/** One line of the front door's log: `$msec $host $status $request_time`. Null if malformed. */
export function parseAccessLine(line: string): AccessLine | null {
  const [msec, host, status] = line.trim().split(" ");
  if (!msec || !host || !status) return null;
  const atSec = Number(msec);
  const code = Number(status);
  if (!Number.isFinite(atSec) || atSec <= 0 || !Number.isInteger(code) || code < 100 || code > 999) return null;
  const name = host.toLowerCase();
  if (!metricsHostPattern.test(name)) return null;
  return { atSec, host: name, status: code };
}

/**
 * Requests and 5xx responses per host in one-second buckets over a sliding window. Pure (the
 * caller passes the clock), so the window arithmetic is unit-tested without waiting.
 */
export class TrafficWindow {
  // host -> second -> [requests, errors]
  private readonly hosts = new Map<string, Map<number, [number, number]>>();

  constructor(
    readonly windowSec = trafficWindowSec,
    readonly maxHosts = maxTrackedHosts,
  ) {}

  /** Counts one request; lines already outside the window at `nowMs` are ignored. */
  record(entry: AccessLine, nowMs: number): void {
    const second = Math.floor(entry.atSec);
    if (second <= this.oldestDropped(nowMs)) return;
    let buckets = this.hosts.get(entry.host);
    if (!buckets) {
      if (this.hosts.size >= this.maxHosts) this.prune(nowMs);
      if (this.hosts.size >= this.maxHosts) return;
      buckets = new Map();
      this.hosts.set(entry.host, buckets);
    }
    const bucket = buckets.get(second) ?? [0, 0];
    bucket[0] += 1;
    if (entry.status >= 500) bucket[1] += 1;
    buckets.set(second, bucket);
  }

  /** Parses and records every line (each also to `each`); returns how many were malformed. */
  recordLines(lines: readonly string[], nowMs: number, each?: (entry: AccessLine) => void): number {
    let malformed = 0;
    for (const line of lines) {
      if (line === "") continue;
      const entry = parseAccessLine(line);
      if (entry) {
        each?.(entry);
        this.record(entry, nowMs);
      } else malformed += 1;
    }
    return malformed;
  }

  /** Rates over the window ending at `nowMs`, busiest `limit` hosts, idle hosts left out. */
  rates(nowMs: number, limit = maxReportedSites): Record<string, SiteRates> {
    this.prune(nowMs);
    const totals: [string, number, number][] = [];
    for (const [host, buckets] of this.hosts) {
      let requests = 0;
      let errors = 0;
      for (const [req, err] of buckets.values()) {
        requests += req;
        errors += err;
      }
      totals.push([host, requests, errors]);
    }
    totals.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const sites: Record<string, SiteRates> = {};
    for (const [host, requests, errors] of totals.slice(0, limit)) {
      sites[host] = { requestsPerSec: requests / this.windowSec, errorsPerSec: errors / this.windowSec };
    }
    return sites;
  }

  get trackedHosts(): number {
    return this.hosts.size;
  }

  /** Buckets at or before this second are outside the window (the current second counts). */
  private oldestDropped(nowMs: number): number {
    return Math.floor(nowMs / 1000) - this.windowSec;
  }

  private prune(nowMs: number): void {
    const oldest = this.oldestDropped(nowMs);
    for (const [host, buckets] of this.hosts) {
      for (const second of buckets.keys()) if (second <= oldest) buckets.delete(second);
      if (buckets.size === 0) this.hosts.delete(host);
    }
  }
}

/**
 * Follows a log file like `tail -F`: each read() returns the complete lines appended since the
 * previous one. It holds the file open, so after a rename (rotation) it drains the old file
 * before it moves to the new one at the path; a file that shrank (truncated in place) is read
 * again from the start.
 */
export class LogTail {
  private handle: FileHandle | null = null;
  private ino = -1;
  private offset = 0;
  private decoder = new StringDecoder("utf8");
  private partial = "";
  private skipFirstLine = false;
  private started = false;
  /** Size of the file being read, as of the last read. */
  size = 0;

  constructor(
    readonly file: string,
    private readonly options: { maxReadBytes?: number; startBackBytes?: number; maxLineBytes?: number } = {},
  ) {}

  async read(): Promise<string[]> {
    const lines: string[] = [];
    if (!this.handle) await this.openAtPath();
    if (!this.handle) return lines;
    await this.drain(lines);
    const current = await stat(this.file).catch(() => null);
    // A missing path means the file was renamed and nginx has not reopened yet: keep reading the
    // old one, where it still writes.
    if (current && current.ino !== this.ino) {
      await this.closeHandle();
      await this.openAtPath();
      if (this.handle) await this.drain(lines);
    }
    return lines;
  }

  async close(): Promise<void> {
    await this.closeHandle();
  }

  private async openAtPath(): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(this.file, "r");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    const info = await handle.stat();
    this.handle = handle;
    this.ino = info.ino;
    this.decoder = new StringDecoder("utf8");
    this.partial = "";
    // The first file, found already written: only its recent tail can still be in the window,
    // so a restarted agent does not read a 64 MB log in one go. A file that appears later (after
    // a rotation, or the first one nginx creates) is new and read whole.
    const back = this.options.startBackBytes ?? 256 * 1024;
    this.offset = this.started ? 0 : Math.max(0, info.size - back);
    this.skipFirstLine = this.offset > 0;
    this.started = true;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  private async drain(lines: string[]): Promise<void> {
    const handle = this.handle!;
    const { size } = await handle.stat();
    this.size = size;
    if (size < this.offset) {
      this.offset = 0;
      this.partial = "";
      this.decoder = new StringDecoder("utf8");
    }
    const maxRead = this.options.maxReadBytes ?? 16 * 1024 * 1024;
    const length = Math.min(size - this.offset, maxRead);
    if (length <= 0) return;
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(buffer, 0, length, this.offset);
    this.offset += bytesRead;
    const pieces = (this.partial + this.decoder.write(buffer.subarray(0, bytesRead))).split("\n");
    this.partial = pieces.pop() ?? "";
    // A "line" this long is not a log line; holding it would only grow memory.
    if (this.partial.length > (this.options.maxLineBytes ?? 64 * 1024)) this.partial = "";
    if (this.skipFirstLine && pieces.length > 0) {
      pieces.shift();
      this.skipFirstLine = false;
    }
    for (const piece of pieces) lines.push(piece);
  }
}

export type CpuTimes = { busy: number; total: number };

/**
 * The CPU busy share over about the last `windowMs`, whatever the poll rate: each call compares
 * with the newest earlier sample at least `windowMs` old (the oldest there is until then, and
 * since boot for the very first), so a heartbeat polled twice a second reports what one polled
 * once a second does, and the balancer's hot/cold test does not get twice as jumpy. Pure (the
 * caller passes the clock).
 */
export class CpuWindow {
  private readonly samples: { at: number; times: CpuTimes }[] = [];

  constructor(readonly windowMs = 1_000) {}

  usagePct(times: CpuTimes, atMs: number): number {
    // (A clock that stands still, or a flood of polls, keeps at most 64.)
    while (this.samples.length > 1 && (atMs - this.samples[1]!.at >= this.windowMs || this.samples.length >= 64)) this.samples.shift();
    const base = this.samples[0]?.times ?? { busy: 0, total: 0 };
    this.samples.push({ at: atMs, times });
    const busy = times.busy - base.busy;
    const total = times.total - base.total;
    if (total <= 0) return 0;
    return Math.min(100, Math.max(0, Math.round((busy / total) * 1000) / 10));
  }
}

/** The aggregate `cpu` line of /proc/stat; iowait counts as idle (the CPU could run something). */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("/proc/stat has no aggregate cpu line.");
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** MemTotal and MemAvailable of /proc/meminfo, in MB. */
export function parseMeminfo(text: string): { totalMb: number; availableMb: number } {
  const kb = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
    if (!match?.[1]) throw new Error(`/proc/meminfo has no ${key}.`);
    return Number(match[1]);
  };
  return { totalMb: Math.floor(kb("MemTotal") / 1024), availableMb: Math.floor(kb("MemAvailable") / 1024) };
}

const toMb = (bytes: number) => Math.floor(bytes / (1024 * 1024));

/** statfs of the node root, or of its nearest existing parent before the first converge makes it. */
async function diskUsage(dir: string): Promise<NodeMetrics["disk"]> {
  let at = dir;
  for (;;) {
    try {
      const fs = await statfs(at);
      return {
        totalMb: toMb(fs.blocks * fs.bsize),
        usedMb: toMb((fs.blocks - fs.bfree) * fs.bsize),
        // bavail, not bfree: the blocks reserved for root are not space a site can use.
        freeMb: toMb(fs.bavail * fs.bsize),
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" || at === "/") throw e;
      at = path.dirname(at);
    }
  }
}

export type MetricsSampler = {
  /** One sample; concurrent callers share the sample in progress. */
  sample(): Promise<NodeMetrics>;
  close(): Promise<void>;
};

export type MetricsOptions = {
  startedAt?: number;
  accessLog?: string;
  maxLogBytes?: number;
  /** Makes the front door reopen its log after a rotation; the node's nginx by default. */
  reopenLog?: () => Promise<void>;
  now?: () => number;
  /** Each front-door request read from the access log (the agent's Prometheus counter). */
  onRequest?: (status: number) => void;
  /** Where a failed log reopen is said. */
  log?: Log;
};

export function createMetricsSampler(node: NodeRoot, options: MetricsOptions = {}): MetricsSampler {
  const startedAt = options.startedAt ?? Date.now();
  const now = options.now ?? Date.now;
  const logFile = options.accessLog ?? node.edgeAccessLog;
  const maxLogBytes = options.maxLogBytes ?? maxAccessLogBytes;
  const reopenLog = options.reopenLog ?? (() => reopenNginxLogs(node));
  const tail = new LogTail(logFile);
  const traffic = new TrafficWindow();
  const cpu = new CpuWindow();
  let rotatedAt = 0;
  let pending: Promise<NodeMetrics> | null = null;

  async function cpuUsagePct(): Promise<number> {
    return cpu.usagePct(parseProcStat(await readFile("/proc/stat", "utf8")), now());
  }

  async function rotateIfLarge(): Promise<void> {
    // At most one rotation per window: nginx needs a moment to reopen, and until then the size
    // the tail sees is the old file's.
    if (tail.size <= maxLogBytes || now() - rotatedAt < trafficWindowSec * 1000) return;
    rotatedAt = now();
    try {
      await rename(logFile, `${logFile}.1`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    try {
      await reopenLog();
    } catch (e) {
      // nginx not running: it creates a fresh file when it starts. The tail keeps the old one.
      (options.log ?? toLog(processLogger("agent"), "warn"))(`Could not reopen the front door's logs after rotating ${logFile}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async function takeSample(): Promise<NodeMetrics> {
    const onRequest = options.onRequest;
    traffic.recordLines(await tail.read(), now(), onRequest && ((entry) => onRequest(entry.status)));
    await rotateIfLarge();
    const [usagePct, memory, disk] = await Promise.all([
      cpuUsagePct(),
      readFile("/proc/meminfo", "utf8").then(parseMeminfo),
      diskUsage(node.root),
    ]);
    const at = now();
    // Parsed on the way out too: the agent must never emit what the control plane would refuse.
    return nodeMetricsSchema.parse({
      at: new Date(at).toISOString(),
      uptimeSec: Math.max(0, Math.floor((at - startedAt) / 1000)),
      cpu: { cores: os.availableParallelism(), load1: Math.round(os.loadavg()[0]! * 100) / 100, usagePct },
      memory: { ...memory, agentRssMb: toMb(process.memoryUsage.rss()) },
      disk,
      sites: traffic.rates(at),
    });
  }

  return {
    sample() {
      pending ??= takeSample().finally(() => {
        pending = null;
      });
      return pending;
    },
    close: () => tail.close(),
  };
}
