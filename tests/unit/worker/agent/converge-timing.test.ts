import { describe, expect, it } from "vitest";
import { createAgentMetrics } from "../../../../worker/agent/agent-metrics";
import { startConvergeTimer } from "../../../../worker/agent/converge-timing";
import { parseHistogramTotals } from "../../../../bench/lib/converge-timing";

// A hand-driven clock: every call to `now` is one step of `tick` ms.
function clock(tick: number) {
  let t = 0;
  return () => (t += tick);
}

describe("startConvergeTimer", () => {
  it("adds phases by wall clock and steps by kind, a failing step included", async () => {
    const heard: string[] = [];
    const timer = startConvergeTimer({ now: clock(10), onStep: (kind, ms) => heard.push(`${kind}:${ms}`) });
    await timer.phase("observe", async () => undefined);
    await timer.step("startPhpFpm", async () => undefined);
    await timer.step("startPhpFpm", async () => undefined);
    await expect(timer.step("ensureAccountQuota", async () => Promise.reject(new Error("EDQUOT")))).rejects.toThrow("EDQUOT");
    timer.addStep("reloadNginx", 25);
    timer.addPhase("steps", 40);
    const timing = timer.done();
    expect(timing.phases).toEqual({ prepare: 0, observe: 10, steps: 40, recheck: 0 });
    expect(timing.steps).toEqual({ startPhpFpm: { count: 2, ms: 20 }, ensureAccountQuota: { count: 1, ms: 10 }, reloadNginx: { count: 1, ms: 25 } });
    expect(heard).toEqual(["startPhpFpm:10", "startPhpFpm:10", "ensureAccountQuota:10", "reloadNginx:25"]);
    expect(timing.totalMs).toBe(90);
  });
});

describe("the agent's converge histograms", () => {
  it("export each step and each phase, and a bench reads their totals back", async () => {
    const metrics = createAgentMetrics();
    const timer = startConvergeTimer({ now: clock(5), onStep: metrics.convergeStep });
    await timer.step("startPhpFpm", async () => undefined);
    await timer.step("startPhpFpm", async () => undefined);
    await timer.phase("observe", async () => undefined);
    metrics.converged(timer.done());
    const text = await metrics.registry.metrics();
    expect(parseHistogramTotals(text, "shoal_agent_converge_step_seconds", "kind")).toEqual(new Map([["startPhpFpm", { count: 2, seconds: 0.01 }]]));
    const phases = parseHistogramTotals(text, "shoal_agent_converge_seconds", "phase");
    expect(phases.get("observe")).toEqual({ count: 1, seconds: 0.005 });
    expect(phases.get("total")?.count).toBe(1);
    // No change, no recheck: a converge that observed nothing again adds no recheck sample.
    expect(phases.has("recheck")).toBe(false);
  });
});
