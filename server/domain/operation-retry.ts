import { isOperationKind, operationKind, operationKinds, type OperationKind } from "./operation-kinds";

// Which failed operations "Retry" can run again. A retry bumps the target's generation and
// announces its reconcile (server/services/operation/retry-operation.ts), which re-runs what a
// reconcile does: placing, converging, installing, deleting. Operations that their own worker job
// runs (a move, a rollback, a file restore, a failover, re-replication) are not re-run by a
// reconcile: put back to pending they would wait for ever, so they are started again instead.
const notByReconcile: Readonly<Partial<Record<OperationKind, string>>> = {
  [operationKind.siteMove]: "Move the site again from the cluster map.",
  [operationKind.siteRollback]: "Roll back again: choose the snapshot in the site's snapshots.",
  [operationKind.siteRestoreFile]: "Restore the file again from the site's snapshots.",
  [operationKind.siteFailover]: "A failover is the cluster's own; it runs again if the node is still down.",
  [operationKind.siteRereplicate]: "Re-replication runs again by itself on its next round.",
  [operationKind.siteReleaseReplica]: "Re-replication runs again by itself on its next round.",
};

/** The kinds their own worker job runs and finishes: a reconcile neither re-runs nor settles them. */
export const ownJobOperationKinds: readonly OperationKind[] = operationKinds.filter((k) => notByReconcile[k] !== undefined);

/** Null when a retry runs it again, else what to do instead. `kind` is as stored: an unknown one is retried. */
export function retryRefusal(kind: string): string | null {
  return isOperationKind(kind) ? (notByReconcile[kind] ?? null) : null;
}
