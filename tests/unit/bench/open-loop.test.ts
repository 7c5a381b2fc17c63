import { describe, expect, it } from "vitest";
import { classifyError } from "@/bench/lib/open-loop";
import { formatSummary, percentile, summarise, type OpenLoopRecord } from "@/bench/lib/open-loop-summary";
import { niceStep, renderScatterSvg } from "@/bench/lib/scatter-plot";

const T0 = 1_764_000_000_000;
/** A request scheduled at slot i of a 200/s schedule, sent on time. */
const rec = (i: number, fields: Partial<OpenLoopRecord>): OpenLoopRecord => ({
  scheduledAt: T0 + i * 5,
  sentAt: T0 + i * 5,
  latencyMs: 1,
  status: 200,
  ...fields,
});

describe("percentile (nearest rank)", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  it("picks the smallest value with at least q of the values at or below it", () => {
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.9)).toBe(90);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile(hundred, 1)).toBe(100);
    expect(percentile([7, 8, 9], 0.5)).toBe(8);
    expect(percentile([7, 8, 9], 0.99)).toBe(9);
    expect(percentile([4], 0.01)).toBe(4);
  });
  it("is NaN for no values, so a missing figure never reads as 0 ms", () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe("summarise", () => {
  it("counts outcomes and keeps failures out of the latency percentiles", () => {
    const records: OpenLoopRecord[] = [
      ...Array.from({ length: 96 }, (_, i) => rec(i, { latencyMs: i + 1 })), // 96 ok, 1..96 ms
      rec(96, { status: 503, latencyMs: 400 }),
      rec(97, { status: undefined, error: "reset", latencyMs: 900 }),
      rec(98, { status: undefined, error: "timeout", latencyMs: 5000 }),
      rec(99, { status: undefined, error: "refused", latencyMs: 0.3 }),
      rec(100, { status: undefined, error: "EHOSTUNREACH", latencyMs: 2 }),
      rec(101, { status: undefined, sentAt: null, error: "overload", latencyMs: 0 }),
    ];
    const s = summarise(records);
    expect(s).toMatchObject({
      scheduled: 102,
      sent: 101,
      ok2xx: 96,
      non2xx: 1,
      resets: 1,
      timeouts: 1,
      refused: 1,
      errors: 5,
      failed: 6,
    });
    // Percentiles over the 97 HTTP responses (1..96 ms and the 503 at 400 ms): ranks
    // ceil(48.5) = 49, ceil(87.3) = 88, ceil(96.03) = 97.
    expect(s.p50).toBe(49);
    expect(s.p90).toBe(88);
    expect(s.p99).toBe(400);
    expect(s.max).toBe(400);
    expect(s.baselineMs).toBe(49);
    expect(s.maxAddedOverBaseline).toBe(351);
  });

  it("takes a given baseline for the added latency", () => {
    const s = summarise([rec(0, { latencyMs: 2 }), rec(1, { latencyMs: 480 })], { baselineMs: 1.5 });
    expect(s.maxAddedOverBaseline).toBeCloseTo(478.5);
  });

  it("treats 1xx/3xx and a missing status as failures", () => {
    const s = summarise([rec(0, { status: 302 }), rec(1, { status: 101 }), rec(2, { status: undefined }), rec(3, {})]);
    expect(s).toMatchObject({ ok2xx: 1, non2xx: 2, errors: 1, failed: 3 });
  });

  it("measures the achieved rate from actual sends and the lag against the schedule", () => {
    const onTime = summarise(Array.from({ length: 201 }, (_, i) => rec(i, {})));
    expect(onTime.achievedRatePerSec).toBeCloseTo(200, 6);
    expect(onTime.sendLagMax).toBe(0);
    // Sends 0..99 on time, then a 40 ms stall: slots 100..107 all leave at slot 108's time.
    const stalled = summarise(
      Array.from({ length: 200 }, (_, i) => rec(i, { sentAt: T0 + (i >= 100 && i < 108 ? 108 : i) * 5 })),
    );
    expect(stalled.sendLagMax).toBe(40);
    expect(stalled.sendLagP50).toBe(0);
    expect(stalled.achievedRatePerSec).toBeCloseTo(200, 6);
  });

  it("has no figures for an empty run", () => {
    const s = summarise([]);
    expect(s).toMatchObject({ scheduled: 0, sent: 0, failed: 0 });
    expect(s.p50).toBeNaN();
    expect(s.maxAddedOverBaseline).toBeUndefined();
    expect(formatSummary(s)).toContain("p50 -");
  });
});

describe("classifyError", () => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });
  it("maps node:http errors to the kinds a move test asserts on", () => {
    expect(classifyError(withCode("ECONNRESET"))).toBe("reset");
    expect(classifyError(withCode("EPIPE"))).toBe("reset");
    expect(classifyError(withCode("ECONNREFUSED"))).toBe("refused");
    expect(classifyError(withCode("EADDRNOTAVAIL"))).toBe("EADDRNOTAVAIL");
    expect(classifyError(new Error("no code"))).toBe("error");
  });
});

describe("scatter plot", () => {
  it("picks 1-2-5 steps", () => {
    expect(niceStep(20, 12)).toBe(2);
    expect(niceStep(180, 12)).toBe(20);
    expect(niceStep(7, 8)).toBe(1);
    expect(niceStep(0.9, 8)).toBe(0.2);
  });

  it("draws a dot per success, a cross per failure, a line per event, and escapes labels", () => {
    const records = [
      rec(0, {}),
      rec(1, { latencyMs: 300 }),
      rec(2, { status: 502 }),
      rec(3, { status: undefined, error: "reset" }),
      rec(4, { status: undefined, sentAt: null, error: "overload", latencyMs: 0 }),
    ];
    const svg = renderScatterSvg(records, {
      title: "a <move> & a kill",
      events: [{ at: T0 + 10, label: "move \"started\"" }],
    });
    expect(svg.match(/<circle cx=/g)).toHaveLength(2 + 1); // two successes + the legend's dot
    expect(svg.match(/<path d="M[-\d.]+ [-\d.]+l8 8m0 -8l-8 8" stroke="#(d11|e67e00)"\/>/g)).toHaveLength(3);
    expect(svg).toContain("a &lt;move&gt; &amp; a kill");
    expect(svg).toContain("move &quot;started&quot; (0.0 s)");
    expect(svg).toContain("reset 1, overload 1");
    expect(svg).not.toContain("NaN");
  });
});
