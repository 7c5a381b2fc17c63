import { db } from "../../db";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";

export type PinSiteResult = {
  id: string;
  pinnedNodeId: string | null;
  pinnedNodeName: string | null;
  /** The node serving the site now; when it differs from the pin, the balancer moves it there. */
  liveNodeName: string | null;
};

/**
 * An admin pins a site to a node (or unpins it with null). The balancer never moves a pinned site
 * by load; one pinned elsewhere than it runs is moved to its pin by the balancer's next rounds,
 * within the cluster's move budget and the site's cool-down (server/domain/balancer.ts). New
 * placements honour the pin too (server/domain/placement.ts). Pure panel state: no outbox row.
 */
export async function pinSite(actor: Actor, input: { id: string; nodeId: string | null }): Promise<PinSiteResult> {
  if (actor.scope.kind !== "admin") throw AppError.notFound("Site");
  return db.$transaction(async (tx) => {
    const site = await tx.site.findFirst({
      where: { id: input.id },
      select: {
        id: true,
        deletedAt: true,
        pinnedNodeId: true,
        account: { select: { customer: { select: { id: true, resellerId: true } } } },
        placements: { where: { role: "PRIMARY" }, select: { node: { select: { name: true } } } },
      },
    });
    if (!site) throw AppError.notFound("Site");
    if (site.deletedAt) throw new AppError("PRECONDITION_FAILED", "The site has been deleted; there is nothing to pin.");
    let node: { id: string; name: string } | null = null;
    if (input.nodeId !== null) {
      const found = await tx.node.findFirst({ where: { id: input.nodeId }, select: { id: true, name: true, status: true } });
      if (!found) throw AppError.field("nodeId", "Choose one of the cluster's nodes.", "NOT_FOUND");
      // A dead node cannot take the site, and a draining one is being emptied: a pin there could
      // only ever wait. A degraded or pending node may recover; the balancer waits for it.
      if (found.status === "DEAD" || found.status === "DRAINING") {
        throw AppError.field("nodeId", `${found.name} is ${found.status.toLowerCase()}; pin the site to a node that can serve it.`, "PRECONDITION_FAILED");
      }
      node = { id: found.id, name: found.name };
    }
    const liveNodeName = site.placements[0]?.node.name ?? null;
    if (site.pinnedNodeId !== (node?.id ?? null)) {
      const before = site.pinnedNodeId ? await tx.node.findFirst({ where: { id: site.pinnedNodeId }, select: { name: true } }) : null;
      await tx.site.update({ where: { id: site.id }, data: { pinnedNodeId: node?.id ?? null } });
      await recordChange(tx, actor, {
        action: node ? "site.pin" : "site.unpin",
        targetType: "Site",
        targetId: site.id,
        resellerId: site.account.customer.resellerId,
        customerId: site.account.customer.id,
        before: { pinnedTo: site.pinnedNodeId ? (before?.name ?? "a removed node") : null },
        after: { pinnedTo: node?.name ?? null, live: liveNodeName },
      });
    }
    return { id: site.id, pinnedNodeId: node?.id ?? null, pinnedNodeName: node?.name ?? null, liveNodeName };
  });
}
