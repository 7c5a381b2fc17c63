import { DelayedError, type Job, type Queue } from "bullmq";
import { RECONCILE_NODE_JOB, reconcileDedupId, reconcileNodeOptions, reconcileNodePayload } from "../../server/jobs/reconcile-node";
import type { Log } from "../../server/observability/logger";
import type { ControlDeps } from "./control-deps";
import { reconcileLeaseKey, tryLease } from "./node-lock";
import { ReconcileRetry, reconcileNode } from "./reconcile-node";

// The reconcile queue: one job per node at a time, run under the node's reconcile lease (which a
// move or failover also takes while it pushes route tables itself).

const dedupId = (nodeId: string, force: boolean) => reconcileDedupId(nodeId) + (force ? ":force" : "");

/** Queues a reconcile of each node; an add while one waits folds into it. */
export function reconcileEnqueuer(queue: Queue) {
  return async (nodeIds: readonly string[], force = false): Promise<void> => {
    await Promise.all([...new Set(nodeIds)].map((nodeId) => queue.add(RECONCILE_NODE_JOB, { nodeId, force }, { ...reconcileNodeOptions, deduplication: { id: dedupId(nodeId, force) } })));
  };
}

/** The reconcile worker's processor. */
export function reconcileJob(deps: ControlDeps) {
  const { db, env, log } = deps;
  return async (job: Job, token?: string): Promise<void> => {
    const { nodeId, force } = reconcileNodePayload.parse(job.data);
    // From here on a new change gets a new waiting job instead of folding into this running
    // one, so nothing committed after this read can be missed.
    await deps.reconcileQueue.removeDeduplicationKey(dedupId(nodeId, force));
    const lease = await tryLease(deps.lockRedis, reconcileLeaseKey(deps.prefix, nodeId));
    if (!lease) {
      // Another worker is reconciling this node: look again shortly (its run ends in ~0.5 s).
      await job.moveToDelayed(Date.now() + 25, token);
      throw new DelayedError();
    }
    try {
      const started = Date.now();
      const result = await reconcileNode({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, log }, nodeId, force);
      if (!result.skipped) log(`reconciled node ${nodeId}: ${result.changes} change(s) in ${Date.now() - started} ms (${Object.entries(result.phases).map(([k, v]) => `${k} ${v}`).join(", ")})`, { nodeId });
    } finally {
      await lease.release();
    }
  };
}

/** A node that stays away fails its job every retry: said once in twenty. */
export function logReconcileFailure(log: Log) {
  return (job: Job | undefined, err: Error): void => {
    const nodeId = (job?.data as { nodeId?: string } | undefined)?.nodeId;
    if (!(err instanceof ReconcileRetry) || (job?.attemptsMade ?? 0) % 20 === 1) log(`reconcile ${nodeId}: ${err.message}`, { nodeId });
  };
}
