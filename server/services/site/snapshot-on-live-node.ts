import { siteWhere, type Scope } from "../../auth/scope";
import type { Db } from "../../db";
import { AppError } from "../../errors";
import type { NodeReadFailure, NodeReadPayload, NodeReadReply } from "../../jobs/node-read";
import { askNode } from "../../jobs/node-read-request";

// What the snapshot read-outs (preview, browse, the check before a one-file restore) share: the
// caller's site (the tenant filter in the where clause) and one of its snapshots on the node that
// serves it now, checked here in Postgres; then the question goes to a control worker, which asks
// that node (worker/control/node-read.ts). The panel never talks to a node itself.

export type SnapshotOfSite = {
  site: { id: string; accountId: string; status: string; domain: string; resellerId: string; customerId: string };
  snapshot: { id: string; name: string; takenAt: Date; kind: string };
};

export async function snapshotOfSite(db: Db, scope: Scope, input: { id: string; snapshotId: string }): Promise<SnapshotOfSite> {
  const site = await db.site.findFirst({
    where: { id: input.id, deletedAt: null, ...siteWhere(scope) },
    select: {
      id: true,
      accountId: true,
      status: true,
      domain: { select: { name: true } },
      account: { select: { customerId: true, customer: { select: { resellerId: true } } } },
      placements: { where: { role: "PRIMARY" }, select: { nodeId: true } },
    },
  });
  if (!site) throw AppError.notFound("Site");
  const snapshot = await db.snapshot.findFirst({ where: { id: input.snapshotId, siteId: site.id }, select: { id: true, name: true, takenAt: true, kind: true, nodeId: true } });
  if (!snapshot) throw AppError.field("snapshotId", "Choose one of this site's snapshots.", "NOT_FOUND");
  const live = site.placements[0];
  if (!live || snapshot.nodeId !== live.nodeId) {
    throw AppError.field("snapshotId", "That snapshot is not on the node serving the site; choose a newer one.", "PRECONDITION_FAILED");
  }
  return {
    site: {
      id: site.id,
      accountId: site.accountId,
      status: site.status,
      domain: site.domain.name,
      resellerId: site.account.customer.resellerId,
      customerId: site.account.customerId,
    },
    snapshot: { id: snapshot.id, name: snapshot.name, takenAt: snapshot.takenAt, kind: snapshot.kind },
  };
}

type Answer<K extends NodeReadPayload["kind"]> = Extract<NodeReadReply<K>, { ok: true }>["value"];

/** The live node's answer, through a control worker; its refusals as the customer should read them. */
export async function readFromLiveNode<P extends NodeReadPayload>(payload: P, field: "path" | "snapshotId"): Promise<Answer<P["kind"]>> {
  const reply = await askNode(payload);
  if (!reply.ok) throw nodeFailureToAppError(reply.failure, field);
  return reply.value;
}

/**
 * Away is a precondition (try again shortly), a refusal about the path goes next to the path
 * field, a missing snapshot next to the snapshot.
 */
export function nodeFailureToAppError(failure: NodeReadFailure, field: "path" | "snapshotId"): AppError {
  switch (failure.kind) {
    case "unreachable":
      return new AppError("PRECONDITION_FAILED", "The node that serves this site is not answering right now; try again in a minute.");
    case "not-live":
      return AppError.field("snapshotId", failure.message, "PRECONDITION_FAILED");
    case "rejected":
      if (failure.status === 404) return AppError.field(field, failure.message, "NOT_FOUND");
      if (failure.status === 422) return AppError.field(field, failure.message, "BAD_INPUT");
      if (failure.status === 409) return AppError.field(field, failure.message, "CONFLICT");
      return new AppError("INTERNAL", `The node that serves this site could not answer: ${failure.message}`);
  }
}
