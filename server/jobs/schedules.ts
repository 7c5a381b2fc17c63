import type { RepeatOptions } from "bullmq";

// Cluster-wide schedules, each id its job name. BullMQ job schedulers run each tick once across
// all worker processes.
export const SCHEDULES = {
  /**
   * Every agent polled twice a second: a node that dies is seen within half a second (a refused
   * poll makes it SUSPECT at once and its peers confirm in the same tick); detection is the most
   * variable part of a failover. Runs on its own queue (QUEUES.heartbeat).
   */
  heartbeat: { id: "heartbeat", every: 500 },
  sweep: { id: "sweep", every: 5000 },
  /**
   * Takes the snapshots that are due (each site's plan sets its cadence, 60 s by default, down to
   * 1 s): the tick is the finest cadence any plan gets; a tick with nothing due is one query.
   */
  snapshots: { id: "snapshots", every: 2_000 },
  /** Usage accounting: each site's disk use from its live node (worker/control/usage.ts). */
  usage: { id: "usage", every: 60_000 },
  /** The balancer's round: moves sites off hot nodes (worker/control/balance.ts, SHOAL_BALANCER). */
  balance: { id: "balance", every: 15_000 },
  /** Sites short of their plan's copies get new replicas, a returning node's surplus is released (worker/control/re-replicate.ts). */
  rereplicate: { id: "rereplicate", every: 2_000 },
  /** Certificates: new sites get a row, and due orders (first, renewal, retry) run (worker/control/acme/). */
  certificates: { id: "certificates", every: 2_000 },
} as const satisfies Record<string, { id: string } & Pick<RepeatOptions, "every">>;

/** A schedule's id, which is also its job name. */
export type ScheduleId = (typeof SCHEDULES)[keyof typeof SCHEDULES]["id"];
