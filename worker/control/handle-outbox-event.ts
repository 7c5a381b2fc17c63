import type { Db } from "../../server/db";
import type { OutboxEventPayload } from "../../server/jobs/outbox-event";
import { ensureDatabasePlacement, ensureSitePlacement, type EnsurePlacementResult } from "./place-site";
import { recordUnplaced } from "./operation-progress";

// An outbox event names what changed; this decides which nodes must reconcile. Placement happens
// here (a new site gets its node before any node hears of it), and a change to who serves which
// domain reaches every edge. Idempotent: replaying an event re-derives the same answer.

export type Enqueue = (nodeIds: readonly string[]) => Promise<void>;

export async function handleOutboxEvent(db: Db, event: OutboxEventPayload, enqueue: Enqueue, enqueueAll: () => Promise<void>): Promise<void> {
  const afterPlacement = async (siteOrDbId: string, r: EnsurePlacementResult) => {
    if (r.unplaced) await recordUnplaced(db, siteOrDbId, r.unplaced);
    if (r.routesChanged) await enqueueAll();
    else await enqueue(r.nodeIds);
  };
  const placeSites = async (siteIds: string[]) => {
    for (const id of siteIds) await afterPlacement(id, await ensureSitePlacement(db, id));
  };

  switch (event.aggregateType) {
    case "Site":
      return placeSites([event.aggregateId]);
    case "Database":
      return afterPlacement(event.aggregateId, await ensureDatabasePlacement(db, event.aggregateId));
    case "Domain": {
      const sites = await db.site.findMany({ where: { domainId: event.aggregateId }, select: { id: true } });
      await placeSites(sites.map((s) => s.id));
      // Its zone (added, changed or gone) is on every node's DNS.
      return enqueueAll();
    }
    case "DnsRecord":
      return enqueueAll();
    case "HostingAccount": {
      const [sites, databases] = await Promise.all([
        db.site.findMany({ where: { accountId: event.aggregateId }, select: { id: true, placements: { select: { nodeId: true } } } }),
        db.database.findMany({ where: { accountId: event.aggregateId, nodeId: { not: null } }, select: { nodeId: true } }),
      ]);
      await placeSites(sites.map((s) => s.id));
      return enqueue([...sites.flatMap((s) => s.placements.map((p) => p.nodeId)), ...databases.map((d) => d.nodeId!)]);
    }
    // Suspension of a reseller reaches every account below it, and a brand's name and support
    // address are on its customers' suspended pages: on any node. Every node's egress rules list
    // every node's address and the admin's allow list, so a node's change or the platform
    // settings' reach them all; a plan's limits reach each node its accounts are on. Every front
    // door serves every certificate (with the site's redirect and HSTS settings), and every node's
    // SFTP gateway accepts every account, so SFTP credentials are in every node's spec.
    case "Node":
    case "Reseller":
    case "Plan":
    case "Brand":
    case "PlatformSettings":
    case "Certificate":
    case "SftpAccess":
      return enqueueAll();
    default:
      // Customers' contact details, ...: nothing on the nodes depends on them.
      return;
  }
}
