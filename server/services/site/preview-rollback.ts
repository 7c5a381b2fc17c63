import type { Scope } from "../../auth/scope";
import type { RollbackPreview } from "../../cluster/agent-client";
import { db } from "../../db";
import { agentErrorToAppError, snapshotOnLiveNode } from "./snapshot-on-live-node";

/** Entries of a preview's file and table lists the browser is given (the counts stay complete). */
export const previewListLimit = 200;

/**
 * What rolling the site back to a snapshot would change, asked of the node that serves it:
 * files added, removed and changed since, and per database which tables differ (with row
 * counts). Nothing changes; the customer reads it before confirming site.rollback.
 */
export async function previewRollback(scope: Scope, input: { id: string; snapshotId: string }, clusterSecret: string | undefined): Promise<RollbackPreview & { snapshotId: string }> {
  const { site, snapshot, agent } = await snapshotOnLiveNode(db, scope, input, clusterSecret);
  try {
    return { ...(await agent.previewRollback(site.id, snapshot.name, site.databases, previewListLimit)), snapshotId: snapshot.id };
  } catch (e) {
    throw agentErrorToAppError(e, "snapshotId");
  }
}
