import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const RECONCILE_NODE_JOB = "reconcile-node";

// Ids only: the worker reads the node's desired state fresh.
export const reconcileNodePayload = z.object({
  nodeId: z.string().min(1).max(40),
  /** Send the spec even if it matches what the agent last accepted (drift repair by the sweep). */
  force: z.boolean().default(false),
});
export type ReconcileNodePayload = z.infer<typeof reconcileNodePayload>;

/** Node away or a step failed: retried with backoff for about a day, then the sweep takes over. */
export const reconcileNodeOptions: JobsOptions = {
  attempts: 2000,
  backoff: { type: "capped" },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** Exponential from 250 ms, capped at 5 s, so a node that comes back is picked up within seconds. */
export function cappedBackoff(attemptsMade: number): number {
  return Math.min(5000, 250 * 2 ** Math.max(0, attemptsMade - 1));
}

/** One waiting job per node: adds while one waits fold into it. */
export const reconcileDedupId = (nodeId: string) => `node:${nodeId}`;
