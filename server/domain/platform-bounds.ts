import { planLimitBounds, type PlanLimitKey, type PlanLimits } from "./plan-limits";

// The admin's bounds on what a reseller may put in a plan, and the one check of a plan against
// them. planLimitBounds (plan-limits.ts) is what the system can carry at all; these are the
// platform's policy inside it, edited by admins (PlatformSettings) and read by the plan services
// and the plan form's hints. No Node imports: client components import this file.

export type PlatformBounds = {
  maxCpuPercent: number;
  maxMemoryMb: number;
  maxPids: number;
  maxDiskMb: number;
  minSnapshotCadenceSec: number;
  maxKeepAllMinutes: number;
  maxKeepHourlyDays: number;
  maxKeepDailyDays: number;
};
export type PlatformBoundKey = keyof PlatformBounds;

/** Which plan field each bound governs, and from which side. */
export const platformBoundTargets: Record<PlatformBoundKey, { field: PlanLimitKey; side: "max" | "min" }> = {
  maxCpuPercent: { field: "cpuPercent", side: "max" },
  maxMemoryMb: { field: "memoryMb", side: "max" },
  maxPids: { field: "pids", side: "max" },
  maxDiskMb: { field: "diskMb", side: "max" },
  minSnapshotCadenceSec: { field: "snapshotCadenceSec", side: "min" },
  maxKeepAllMinutes: { field: "keepAllMinutes", side: "max" },
  maxKeepHourlyDays: { field: "keepHourlyDays", side: "max" },
  maxKeepDailyDays: { field: "keepDailyDays", side: "max" },
};
export const platformBoundKeys = Object.keys(platformBoundTargets) as PlatformBoundKey[];

/** A bound may be any value its plan field may take: the admin settings' schema reads these. */
export function platformBoundRange(key: PlatformBoundKey): { min: number; max: number } {
  return planLimitBounds[platformBoundTargets[key].field];
}

export type PlanFieldBounds = Record<PlanLimitKey, { min: number; max: number; why: string | null }>;

/**
 * What each plan field may be now: the system's range narrowed by the admin's bounds, and copies
 * by the nodes that can hold one (at least 1, so a plan can be made before the first node joins).
 * `why` says where a narrowed end comes from, for the message and the form's hint.
 */
export function effectivePlanBounds(bounds: PlatformBounds, nodes: number): PlanFieldBounds {
  const out = Object.fromEntries(
    (Object.keys(planLimitBounds) as PlanLimitKey[]).map((key) => [key, { ...planLimitBounds[key], why: null }]),
  ) as PlanFieldBounds;
  for (const key of platformBoundKeys) {
    const { field, side } = platformBoundTargets[key];
    const value = bounds[key];
    const current = out[field];
    if (side === "max" && value < current.max) out[field] = { ...current, max: Math.max(value, current.min), why: "the platform's limit" };
    if (side === "min" && value > current.min) out[field] = { ...current, min: Math.min(value, current.max), why: "the platform's limit" };
  }
  const copiesMax = Math.max(1, Math.min(nodes, planLimitBounds.copies.max));
  if (copiesMax < out.copies.max) out.copies = { ...out.copies, max: copiesMax, why: `the cluster has ${nodes} node${nodes === 1 ? "" : "s"}` };
  return out;
}

export type PlanBoundIssue = { path: [PlanLimitKey]; message: string };

const number = new Intl.NumberFormat("en");

/**
 * One issue per given field outside what effectivePlanBounds allows, with the field as its path.
 * Only the fields passed are checked: an update passes the values it changes, so a plan over a
 * bound that was lowered later keeps its value until someone changes that value.
 */
export function planBoundIssues(values: Partial<PlanLimits>, allowed: PlanFieldBounds): PlanBoundIssue[] {
  const issues: PlanBoundIssue[] = [];
  for (const [key, value] of Object.entries(values) as [PlanLimitKey, number | undefined][]) {
    if (value === undefined) continue;
    const { min, max, why } = allowed[key];
    const because = why ? ` (${why})` : "";
    if (value > max) issues.push({ path: [key], message: `Must be at most ${number.format(max)}${because}.` });
    else if (value < min) issues.push({ path: [key], message: `Must be at least ${number.format(min)}${because}.` });
  }
  return issues;
}
