// The bounds of every plan limit, in the order the plan form shows them. The API's schema
// (server/trpc/routers/plan/plan.schema.ts) and the form's hints both read these, so they cannot
// drift apart. No Node imports: client components import this file.
export const planLimitBounds = {
  maxSites: { min: 1, max: 10_000 },
  diskMb: { min: 100, max: 10_000_000 },
  maxDatabases: { min: 0, max: 10_000 },
  maxMailboxes: { min: 0, max: 100_000 },
  trafficGbMonth: { min: 1, max: 1_000_000 },
  copies: { min: 1, max: 5 },
  snapshotCadenceSec: { min: 1, max: 86_400 },
  keepAllMinutes: { min: 0, max: 1_440 },
  keepHourlyDays: { min: 0, max: 90 },
  keepDailyDays: { min: 0, max: 3_650 },
  // An account's share of each node it is live on (its cgroup there); inside what the node spec
  // accepts (server/contract/node-spec.ts, accountLimitsSchema). cpuPercent is of one core.
  cpuPercent: { min: 5, max: 6_400 },
  memoryMb: { min: 64, max: 262_144 },
  pids: { min: 16, max: 65_536 },
  ioWeight: { min: 1, max: 10_000 },
} as const;

export type PlanLimitKey = keyof typeof planLimitBounds;
export type PlanLimits = Record<PlanLimitKey, number>;
export const planLimitKeys = Object.keys(planLimitBounds) as PlanLimitKey[];
