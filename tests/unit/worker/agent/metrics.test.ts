import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeMetricsSchema } from "../../../../server/contract/node-metrics";
import {
  CpuWindow,
  createMetricsSampler,
  LogTail,
  parseAccessLine,
  parseMeminfo,
  parseProcStat,
  TrafficWindow,
} from "../../../../worker/agent/metrics";
import { nodeRoot } from "../../../../worker/agent/node-root";

const t0 = 1_800_000_000_000; // a fixed clock, ms
const line = (sec: number, host: string, status = 200) => `${sec.toFixed(3)} ${host} ${status} 0.001`;

describe("parseAccessLine", () => {
  it("reads `$msec $host $status $request_time`", () => {
    expect(parseAccessLine("1800000000.123 Shop.Example.TEST 503 0.004")).toEqual({
      atSec: 1800000000.123,
      host: "shop.example.test",
      status: 503,
    });
  });

  it.each([
    "",
    "garbage",
    "1800000000.1 example.test",
    "nan example.test 200 0.1",
    "1800000000.1 example.test 20x 0.1",
    "1800000000.1 example.test 99 0.1",
    "1800000000.1 exa$mple.test 200 0.1",
    "1800000000.1 -example.test 200 0.1",
  ])("refuses %j", (text) => {
    expect(parseAccessLine(text)).toBeNull();
  });
});

describe("TrafficWindow", () => {
  const sec = t0 / 1000;

  it("averages requests and 5xx per host over the window", () => {
    const w = new TrafficWindow(10);
    const lines = [
      ...Array.from({ length: 20 }, (_, i) => line(sec - 9 + (i % 10), "a.test")),
      line(sec, "b.test", 500),
      line(sec, "b.test", 404),
      line(sec, "b.test", 502),
    ];
    expect(w.recordLines(lines, t0)).toBe(0);
    expect(w.rates(t0)).toEqual({
      "a.test": { requestsPerSec: 2, errorsPerSec: 0 },
      "b.test": { requestsPerSec: 0.3, errorsPerSec: 0.2 },
    });
  });

  it("slides: a second leaves the window ten seconds later, and idle hosts disappear", () => {
    const w = new TrafficWindow(10);
    w.recordLines([line(sec, "a.test"), line(sec + 5, "a.test"), line(sec + 5, "b.test")], (sec + 5) * 1000);
    expect(w.rates((sec + 9) * 1000)["a.test"]?.requestsPerSec).toBe(0.2);
    expect(w.rates((sec + 10) * 1000)["a.test"]?.requestsPerSec).toBe(0.1);
    expect(w.rates((sec + 15) * 1000)).toEqual({});
    expect(w.trackedHosts).toBe(0);
  });

  it("ignores lines already older than the window (a restarted agent reading back)", () => {
    const w = new TrafficWindow(10);
    w.recordLines([line(sec - 10, "old.test"), line(sec - 8.5, "new.test")], t0);
    expect(Object.keys(w.rates(t0))).toEqual(["new.test"]);
  });

  it("counts malformed lines and skips them", () => {
    const w = new TrafficWindow(10);
    expect(w.recordLines(["x", line(sec, "a.test"), "", "1 2"], t0)).toBe(2);
    expect(w.rates(t0)["a.test"]?.requestsPerSec).toBe(0.1);
  });

  it("caps tracked hosts and reports the busiest first", () => {
    const w = new TrafficWindow(10, 3);
    w.recordLines([line(sec, "a.test"), line(sec, "b.test"), line(sec, "b.test"), line(sec, "c.test"), line(sec, "d.test")], t0);
    expect(w.trackedHosts).toBe(3);
    expect(Object.keys(w.rates(t0, 2))).toEqual(["b.test", "a.test"]);
    // Once the old hosts have left the window, new ones are tracked again.
    w.recordLines([line(sec + 20, "d.test")], t0 + 20_000);
    expect(Object.keys(w.rates(t0 + 20_000))).toEqual(["d.test"]);
  });
});

describe("LogTail", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "shoal-logtail-"));
    file = path.join(dir, "edge-access.log");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns nothing while the file does not exist, then all of a file created later", async () => {
    const tail = new LogTail(file);
    expect(await tail.read()).toEqual([]);
    await writeFile(file, "one\ntwo\n");
    expect(await tail.read()).toEqual(["one", "two"]);
    await tail.close();
  });

  it("reads only what was appended, holding back a half-written line", async () => {
    await writeFile(file, "");
    const tail = new LogTail(file);
    expect(await tail.read()).toEqual([]);
    await appendFile(file, "a\nb");
    expect(await tail.read()).toEqual(["a"]);
    await appendFile(file, "c\nd\n");
    expect(await tail.read()).toEqual(["bc", "d"]);
    expect(await tail.read()).toEqual([]);
    await tail.close();
  });

  it("starts near the end of a large existing file, at a line boundary", async () => {
    await writeFile(file, Array.from({ length: 1000 }, (_, i) => `line-${i}`).join("\n") + "\n");
    const tail = new LogTail(file, { startBackBytes: 100 });
    const lines = await tail.read();
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.length).toBeLessThan(15);
    expect(lines.at(-1)).toBe("line-999");
    for (const l of lines) expect(l).toMatch(/^line-\d+$/);
    await tail.close();
  });

  it("starts again from the top of a file truncated in place", async () => {
    await writeFile(file, "old-1\nold-2\n");
    const tail = new LogTail(file);
    expect(await tail.read()).toEqual(["old-1", "old-2"]);
    await truncate(file, 0);
    await appendFile(file, "new\n");
    expect(await tail.read()).toEqual(["new"]);
    await tail.close();
  });

  it("after a rename drains the old file, then follows the new one at the path", async () => {
    await writeFile(file, "a\n");
    const tail = new LogTail(file);
    expect(await tail.read()).toEqual(["a"]);
    await rename(file, `${file}.1`);
    // The writer has not reopened yet: it still appends to the renamed file.
    await appendFile(`${file}.1`, "b\n");
    expect(await tail.read()).toEqual(["b"]);
    await appendFile(`${file}.1`, "c\n");
    await writeFile(file, "d\n");
    expect(await tail.read()).toEqual(["c", "d"]);
    await appendFile(file, "e\n");
    expect(await tail.read()).toEqual(["e"]);
    await tail.close();
  });
});

describe("/proc parsers", () => {
  it("reads busy and total jiffies, iowait counting as idle", () => {
    const times = parseProcStat("cpu  100 10 50 800 40 0 0 0 5 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n");
    expect(times).toEqual({ busy: 160, total: 1000 });
  });

  it("reads MemTotal and MemAvailable in MB", () => {
    expect(parseMeminfo("MemTotal:        8000000 kB\nMemFree:  1 kB\nMemAvailable:    2048000 kB\n")).toEqual({
      totalMb: 7812,
      availableMb: 2000,
    });
  });
});

describe("CpuWindow", () => {
  // busy jiffies of `busy` out of `total` since boot, at `ms` after t0
  const at = (w: CpuWindow, ms: number, busy: number, total: number) => w.usagePct({ busy, total }, t0 + ms);

  it("reports the first sample since boot, then the busy share since the previous second's sample", () => {
    const w = new CpuWindow(1_000);
    expect(at(w, 0, 100, 1_000)).toBe(10);
    expect(at(w, 1_000, 150, 1_100)).toBe(50);
    expect(at(w, 2_000, 150, 1_200)).toBe(0);
  });

  it("polled twice a second, it still spans about a second: a half-second spike is halved, as a 1 s poll sees it", () => {
    const half = new CpuWindow(1_000);
    const whole = new CpuWindow(1_000);
    at(half, 0, 0, 0);
    at(whole, 0, 0, 0);
    // 0-1 s idle, then 1-1.5 s fully busy, 1.5-2 s idle (100 jiffies a second).
    at(half, 500, 0, 50);
    at(half, 1_000, 0, 100);
    expect(at(half, 1_500, 50, 150)).toBe(50); // since 0.5 s: 50 busy of 100
    expect(at(half, 2_000, 50, 200)).toBe(50); // since 1 s: 50 of 100
    expect(at(whole, 1_000, 0, 100)).toBe(0);
    expect(at(whole, 2_000, 50, 200)).toBe(50);
    expect(at(half, 2_500, 50, 250)).toBe(0); // since 1.5 s: idle
  });

  it("keeps a bounded history when the clock stands still, and never leaves 0-100", () => {
    const w = new CpuWindow(1_000);
    for (let i = 0; i < 1_000; i++) {
      const pct = at(w, 0, i * 10, i * 10 + 5);
      expect(pct).toBeGreaterThanOrEqual(0);
      expect(pct).toBeLessThanOrEqual(100);
    }
    expect((w as unknown as { samples: unknown[] }).samples.length).toBeLessThanOrEqual(64);
    expect(at(w, 5_000, 20_000, 20_000)).toBe(100);
  });
});

describe("createMetricsSampler", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "shoal-metrics-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reports a valid sample with per-site rates from the access log", async () => {
    const node = nodeRoot({ root: path.join(dir, "node"), address: "127.0.22.1", httpPort: 18080, mysqlPort: 13306 });
    const log = path.join(dir, "edge-access.log");
    const now = Date.now() / 1000;
    await writeFile(log, [line(now - 1, "a.test"), line(now - 1, "a.test", 500), line(now, "b.test")].join("\n") + "\n");
    const sampler = createMetricsSampler(node, { accessLog: log, reopenLog: async () => {} });
    const sample = nodeMetricsSchema.parse(await sampler.sample());
    expect(sample.sites).toEqual({
      "a.test": { requestsPerSec: 0.2, errorsPerSec: 0.1 },
      "b.test": { requestsPerSec: 0.1, errorsPerSec: 0 },
    });
    expect(sample.cpu.cores).toBeGreaterThan(0);
    expect(sample.memory.totalMb).toBeGreaterThan(sample.memory.agentRssMb);
    expect(sample.disk.totalMb).toBeGreaterThan(0);
    await sampler.close();
  });

  it("rotates the log past its size limit and asks the front door to reopen it", async () => {
    const node = nodeRoot({ root: path.join(dir, "node"), address: "127.0.22.1", httpPort: 18080, mysqlPort: 13306 });
    const log = path.join(dir, "edge-access.log");
    await writeFile(log, `${"x".repeat(2000)}\n`);
    let reopened = 0;
    const sampler = createMetricsSampler(node, {
      accessLog: log,
      maxLogBytes: 1000,
      reopenLog: async () => {
        reopened += 1;
        await writeFile(log, "");
      },
    });
    await sampler.sample();
    expect(reopened).toBe(1);
    await appendFile(log, `${line(Date.now() / 1000, "after.test")}\n`);
    expect(Object.keys((await sampler.sample()).sites)).toEqual(["after.test"]);
    // Not again at once: the new file is small.
    expect(reopened).toBe(1);
    await sampler.close();
  });
});
