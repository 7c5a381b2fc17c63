import type { Scope } from "../../auth/scope";
import type { RollbackPreview } from "../../contract/snapshot-answers";
import { db } from "../../db";
import { readFromLiveNode, snapshotOfSite } from "./snapshot-on-live-node";

/**
 * What rolling the site back to a snapshot would change, asked of the node that serves it (by a
 * control worker): files added, removed and changed since, and per database which tables differ
 * (with row counts). Nothing changes; the customer reads it before confirming site.rollback.
 */
export async function previewRollback(scope: Scope, input: { id: string; snapshotId: string }): Promise<RollbackPreview & { snapshotId: string }> {
  const { site, snapshot } = await snapshotOfSite(db, scope, input);
  const preview = await readFromLiveNode({ kind: "preview", siteId: site.id, snapshotId: snapshot.id }, "snapshotId");
  return { ...preview, snapshotId: snapshot.id };
}
