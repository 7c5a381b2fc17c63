import { siteWhere, type Scope } from "../../auth/scope";
import { AgentRejectedError, AgentUnreachableError, agentClient, type AgentClient } from "../../cluster/agent-client";
import type { Db } from "../../db";
import { AppError } from "../../errors";

// What the snapshot read-outs (preview, browse, one-file restore) share: the caller's site (the
// tenant filter in the where clause), one of its snapshots on the node that serves it now, and an
// agent client for that node. These are the panel's only synchronous calls to a node: a customer
// waits for the answer, and nothing in them changes desired state (a file restore is recorded as
// an operation of its own).

export type SnapshotOnLiveNode = {
  site: { id: string; accountId: string; status: string; domain: string; databases: string[]; resellerId: string; customerId: string };
  snapshot: { id: string; name: string; takenAt: Date; kind: string };
  node: { id: string; name: string };
  agent: AgentClient;
};

export async function snapshotOnLiveNode(db: Db, scope: Scope, input: { id: string; snapshotId: string }, clusterSecret: string | undefined): Promise<SnapshotOnLiveNode> {
  const site = await db.site.findFirst({
    where: { id: input.id, deletedAt: null, ...siteWhere(scope) },
    select: {
      id: true,
      accountId: true,
      status: true,
      domain: { select: { name: true } },
      account: { select: { customerId: true, customer: { select: { resellerId: true } } } },
      databases: { where: { deletedAt: null }, orderBy: { name: "asc" }, select: { name: true } },
      placements: { where: { role: "PRIMARY" }, select: { node: { select: { id: true, name: true, address: true, agentPort: true } } } },
    },
  });
  if (!site) throw AppError.notFound("Site");
  const snapshot = await db.snapshot.findFirst({ where: { id: input.snapshotId, siteId: site.id }, select: { id: true, name: true, takenAt: true, kind: true, nodeId: true } });
  if (!snapshot) throw AppError.field("snapshotId", "Choose one of this site's snapshots.", "NOT_FOUND");
  const live = site.placements[0]?.node;
  if (!live || snapshot.nodeId !== live.id) {
    throw AppError.field("snapshotId", "That snapshot is not on the node serving the site; choose a newer one.", "PRECONDITION_FAILED");
  }
  if (!clusterSecret) throw new AppError("INTERNAL", "The panel cannot reach the nodes: the cluster secret is not configured.");
  return {
    site: {
      id: site.id,
      accountId: site.accountId,
      status: site.status,
      domain: site.domain.name,
      databases: site.databases.map((d) => d.name),
      resellerId: site.account.customer.resellerId,
      customerId: site.account.customerId,
    },
    snapshot: { id: snapshot.id, name: snapshot.name, takenAt: snapshot.takenAt, kind: snapshot.kind },
    node: { id: live.id, name: live.name },
    agent: agentClient(live, { clusterSecret, timeoutMs: 30_000 }),
  };
}

/**
 * A node's answer as the customer should read it: away is a precondition (try again shortly), a
 * refusal about the path goes next to the path field, a missing snapshot next to the snapshot.
 */
export function agentErrorToAppError(e: unknown, field: "path" | "snapshotId"): unknown {
  if (e instanceof AgentUnreachableError) return new AppError("PRECONDITION_FAILED", "The node that serves this site is not answering right now; try again in a minute.");
  if (e instanceof AgentRejectedError) {
    const message = e.message.replace(/^Node \S+ refused the request \(\d+\): /, "");
    if (e.status === 404) return AppError.field(field, message, "NOT_FOUND");
    if (e.status === 422) return AppError.field(field, message, "BAD_INPUT");
    if (e.status === 409) return AppError.field(field, message, "CONFLICT");
  }
  return e;
}
