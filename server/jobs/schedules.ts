import type { RepeatOptions } from "bullmq";

// Cluster-wide schedules. BullMQ job schedulers run each tick once across all worker processes.
export const SCHEDULES = {
  heartbeat: { id: "heartbeat", every: 1000 },
  sweep: { id: "sweep", every: 5000 },
  /** Takes the snapshots that are due (each site's plan sets its cadence, 60 s by default). */
  snapshots: { id: "snapshots", every: 10_000 },
} as const satisfies Record<string, { id: string } & Pick<RepeatOptions, "every">>;
