import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planLimitBounds, planLimitKeys, type PlanLimitKey, type PlanLimits } from "@/server/domain/plan-limits";
import { effectivePlanBounds, planBoundIssues, platformBoundKeys, platformBoundRange, platformBoundTargets, type PlatformBounds } from "@/server/domain/platform-bounds";
import { platformBoundsSchema } from "@/server/trpc/routers/settings/platform-settings.schema";
import { planLimitsSchema } from "@/server/trpc/routers/plan/plan.schema";
import { accountLimitsSchema } from "@/server/contract/node-spec";

const defaults: PlatformBounds = {
  maxCpuPercent: 400,
  maxMemoryMb: 4_096,
  maxPids: 1_024,
  maxDiskMb: 100_000,
  minSnapshotCadenceSec: 60,
  maxKeepAllMinutes: 1_440,
  maxKeepHourlyDays: 30,
  maxKeepDailyDays: 365,
};

/** Any bounds the settings schema accepts. */
const boundsArb = fc.record(
  Object.fromEntries(platformBoundKeys.map((k) => [k, fc.integer(platformBoundRange(k))])) as Record<keyof PlatformBounds, fc.Arbitrary<number>>,
);
/** Any plan the system's own ranges accept. */
const planArb = fc.record(
  Object.fromEntries(planLimitKeys.map((k) => [k, fc.integer(planLimitBounds[k])])) as Record<PlanLimitKey, fc.Arbitrary<number>>,
);

describe("planBoundIssues examples", () => {
  const allowed = effectivePlanBounds(defaults, 3);

  it.each([
    ["memoryMb", 4_097, "Must be at most 4,096 (the platform's limit)."],
    ["cpuPercent", 401, "Must be at most 400 (the platform's limit)."],
    ["pids", 1_025, "Must be at most 1,024 (the platform's limit)."],
    ["diskMb", 100_001, "Must be at most 100,000 (the platform's limit)."],
    ["snapshotCadenceSec", 59, "Must be at least 60 (the platform's limit)."],
    ["keepHourlyDays", 31, "Must be at most 30 (the platform's limit)."],
    ["copies", 4, "Must be at most 3 (the cluster has 3 nodes)."],
    ["maxSites", 10_001, "Must be at most 10,000."],
  ] as const)("refuses %s = %s on its field", (field, value, message) => {
    expect(planBoundIssues({ [field]: value }, allowed)).toEqual([{ path: [field], message }]);
  });

  it("accepts the bounds themselves and checks only the fields given", () => {
    expect(planBoundIssues({ memoryMb: 4_096, cpuPercent: 400, snapshotCadenceSec: 60, copies: 3 }, allowed)).toEqual([]);
    expect(planBoundIssues({}, allowed)).toEqual([]);
  });

  it("allows one copy before any node exists", () => {
    expect(effectivePlanBounds(defaults, 0).copies).toEqual({ min: 1, max: 1, why: "the cluster has 0 nodes" });
    expect(effectivePlanBounds(defaults, 1).copies.why).toBe("the cluster has 1 node");
    expect(effectivePlanBounds(defaults, 9).copies).toEqual({ ...planLimitBounds.copies, why: null });
  });
});

describe("the admin's bounds, property-based", () => {
  it("a plan passes exactly when every field is within the system's range and the admin's bound", () => {
    fc.assert(
      fc.property(boundsArb, planArb, fc.integer({ min: 0, max: 8 }), (bounds, plan, nodes) => {
        const issues = planBoundIssues(plan, effectivePlanBounds(bounds, nodes));
        const flagged = new Set(issues.map((i) => i.path[0]));
        for (const key of planLimitKeys) {
          const bound = platformBoundKeys.find((b) => platformBoundTargets[b].field === key);
          let ok = true;
          if (bound) ok = platformBoundTargets[bound].side === "max" ? plan[key] <= bounds[bound] : plan[key] >= bounds[bound];
          if (key === "copies") ok = plan.copies <= Math.max(1, nodes);
          expect(flagged.has(key)).toBe(!ok);
        }
      }),
    );
  });

  it("every bound the settings accept leaves a non-empty range inside the system's", () => {
    fc.assert(
      fc.property(boundsArb, fc.integer({ min: 0, max: 8 }), (bounds, nodes) => {
        expect(platformBoundsSchema.safeParse(bounds).success).toBe(true);
        const allowed = effectivePlanBounds(bounds, nodes);
        for (const key of planLimitKeys) {
          expect(allowed[key].min).toBeLessThanOrEqual(allowed[key].max);
          expect(allowed[key].min).toBeGreaterThanOrEqual(planLimitBounds[key].min);
          expect(allowed[key].max).toBeLessThanOrEqual(planLimitBounds[key].max);
        }
      }),
    );
  });

  it("any plan the API accepts is a valid account limit in a node spec", () => {
    fc.assert(
      fc.property(planArb, (plan: PlanLimits) => {
        expect(planLimitsSchema.safeParse(plan).success).toBe(true);
        const limits = { cpuPercent: plan.cpuPercent, memoryMb: plan.memoryMb, pids: plan.pids, ioWeight: plan.ioWeight, diskMb: plan.diskMb };
        expect(accountLimitsSchema.safeParse(limits).success).toBe(true);
      }),
    );
  });

  it("refuses a bound outside what its field can be", () => {
    for (const key of platformBoundKeys) {
      const { min, max } = platformBoundRange(key);
      expect(platformBoundsSchema.safeParse({ ...defaults, [key]: min - 1 }).success).toBe(false);
      expect(platformBoundsSchema.safeParse({ ...defaults, [key]: max + 1 }).success).toBe(false);
    }
  });
});
