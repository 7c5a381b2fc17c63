// Which failed operations "Retry" can run again. A retry bumps the target's generation and
// announces its reconcile (server/services/operation/retry-operation.ts), which re-runs what a
// reconcile does: placing, converging, installing, deleting. Operations that their own worker job
// runs (a move, a rollback, a file restore, a failover, re-replication) are not re-run by a
// reconcile: put back to pending they would wait for ever, so they are started again instead.
const notByReconcile: Readonly<Record<string, string>> = {
  "site.move": "Move the site again from the cluster map.",
  "site.rollback": "Roll back again: choose the snapshot in the site's snapshots.",
  "site.restoreFile": "Restore the file again from the site's snapshots.",
  "site.failover": "A failover is the cluster's own; it runs again if the node is still down.",
  "site.rereplicate": "Re-replication runs again by itself on its next round.",
  "site.release-replica": "Re-replication runs again by itself on its next round.",
};

/** The kinds their own worker job runs and finishes: a reconcile neither re-runs nor settles them. */
export const ownJobOperationKinds: readonly string[] = Object.keys(notByReconcile);

/** Null when a retry runs it again, else what to do instead. */
export function retryRefusal(kind: string): string | null {
  return notByReconcile[kind] ?? null;
}
