import type { Db, Tx } from "../../server/db";
import { chooseNode, type PlacementCandidate } from "../../server/domain/placement";
import { bumpRoutesVersion, lockClusterState, routableSiteWhere } from "./read-route-table";

// Turns desired state into placements: a new site gets its live node (recorded with the reason),
// its databases follow it, a database without a site goes where its account already lives, and a
// site that stops being routable (deleted, terminated) leaves the route table. Idempotent: a
// second call for the same site changes nothing.

export type EnsurePlacementResult = {
  /** Nodes whose spec may have changed and must reconcile. */
  nodeIds: string[];
  routesChanged: boolean;
  /** Set when a site needs a node and none can take it. */
  unplaced?: string;
  decision?: { nodeName: string; reason: string };
};

function metricNumber(metrics: unknown, ...path: string[]): number {
  let v: unknown = metrics;
  for (const key of path) v = v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** Every node, ranked by chooseNode; also re-replication's pool (worker/control/re-replicate.ts). */
export async function placementCandidates(tx: Tx | Db): Promise<PlacementCandidate[]> {
  const nodes = await tx.node.findMany({
    orderBy: { name: "asc" },
    select: {
      id: true, name: true, status: true, capacitySites: true, capacityDiskMb: true, capacityCpus: true, metrics: true,
      _count: { select: { placements: { where: { role: "PRIMARY" } } } },
    },
  });
  return nodes.map((n) => ({
    id: n.id,
    name: n.name,
    status: n.status,
    capacitySites: n.capacitySites,
    capacityDiskMb: n.capacityDiskMb,
    capacityCpus: n.capacityCpus,
    siteCount: n._count.placements,
    diskUsedMb: metricNumber(n.metrics, "disk", "usedMb"),
    load1: metricNumber(n.metrics, "cpu", "load1"),
  }));
}

export async function ensureSitePlacement(db: Db, siteId: string): Promise<EnsurePlacementResult> {
  return db.$transaction(async (tx) => {
    await lockClusterState(tx);
    const site = await tx.site.findUnique({
      where: { id: siteId },
      select: { id: true, routed: true, pinnedNodeId: true, placements: { select: { nodeId: true, role: true } } },
    });
    if (!site) return { nodeIds: [], routesChanged: false };
    const routable = (await tx.site.count({ where: { id: siteId, ...routableSiteWhere } })) === 1;
    const nodeIds = site.placements.map((p) => p.nodeId);

    if (!routable) {
      // Its nodes tear it down on their next converge; the placements go once they have.
      if (site.routed) {
        const version = await bumpRoutesVersion(tx);
        await tx.site.update({ where: { id: siteId }, data: { routed: false, routeVersion: version } });
        return { nodeIds, routesChanged: true };
      }
      return { nodeIds, routesChanged: false };
    }

    let primary = site.placements.find((p) => p.role === "PRIMARY")?.nodeId;
    let decision: EnsurePlacementResult["decision"];
    if (!primary) {
      const choice = chooseNode(await placementCandidates(tx), { pinnedNodeId: site.pinnedNodeId });
      if (!choice.ok) return { nodeIds, routesChanged: false, unplaced: choice.reason };
      await tx.placement.create({ data: { siteId, nodeId: choice.nodeId, role: "PRIMARY", epoch: 1, reason: choice.reason } });
      primary = choice.nodeId;
      nodeIds.push(primary);
      decision = { nodeName: choice.nodeName, reason: choice.reason };
    }
    // Copies beyond the live one (the plan's `copies`, 2 by default) go to other healthy nodes.
    const plan = await tx.site.findUniqueOrThrow({ where: { id: siteId }, select: { account: { select: { plan: { select: { copies: true } } } } } });
    const have = new Set(nodeIds);
    const wanted = Math.max(0, plan.account.plan.copies - 1) - site.placements.filter((p) => p.role === "REPLICA").length;
    if (wanted > 0) {
      const pool = await placementCandidates(tx);
      for (let i = 0; i < wanted; i++) {
        const choice = chooseNode(pool, { exclude: have });
        if (!choice.ok) break;
        await tx.placement.create({ data: { siteId, nodeId: choice.nodeId, role: "REPLICA", epoch: 1, reason: `replica: ${choice.reason}` } });
        have.add(choice.nodeId);
        nodeIds.push(choice.nodeId);
      }
    }
    // The site's databases live in its live node's MariaDB.
    await tx.database.updateMany({ where: { siteId, deletedAt: null, NOT: { nodeId: primary } }, data: { nodeId: primary } });
    await tx.database.updateMany({ where: { siteId, deletedAt: null, nodeId: null }, data: { nodeId: primary } });
    let routesChanged = false;
    if (!site.routed) {
      const version = await bumpRoutesVersion(tx);
      await tx.site.update({ where: { id: siteId }, data: { routed: true, routeVersion: version } });
      routesChanged = true;
    }
    return { nodeIds: [...new Set(nodeIds)], routesChanged, decision };
  });
}

/** A database without a site goes to a node its account already uses, else the emptiest node. */
export async function ensureDatabasePlacement(db: Db, databaseId: string): Promise<EnsurePlacementResult> {
  return db.$transaction(async (tx) => {
    await lockClusterState(tx);
    const database = await tx.database.findUnique({ where: { id: databaseId }, select: { id: true, siteId: true, accountId: true, nodeId: true } });
    if (!database) return { nodeIds: [], routesChanged: false };
    if (database.nodeId) return { nodeIds: [database.nodeId], routesChanged: false };
    if (database.siteId) {
      const primary = await tx.placement.findFirst({ where: { siteId: database.siteId, role: "PRIMARY" }, select: { nodeId: true } });
      if (!primary) return { nodeIds: [], routesChanged: false };
      await tx.database.update({ where: { id: databaseId }, data: { nodeId: primary.nodeId } });
      return { nodeIds: [primary.nodeId], routesChanged: false };
    }
    const home =
      (await tx.placement.findFirst({ where: { role: "PRIMARY", site: { accountId: database.accountId, deletedAt: null } }, orderBy: { createdAt: "asc" }, select: { nodeId: true } }))?.nodeId ??
      (await tx.database.findFirst({ where: { accountId: database.accountId, deletedAt: null, nodeId: { not: null } }, orderBy: { createdAt: "asc" }, select: { nodeId: true } }))?.nodeId;
    if (home) {
      await tx.database.update({ where: { id: databaseId }, data: { nodeId: home } });
      return { nodeIds: [home], routesChanged: false };
    }
    const choice = chooseNode(await placementCandidates(tx));
    if (!choice.ok) return { nodeIds: [], routesChanged: false, unplaced: choice.reason };
    await tx.database.update({ where: { id: databaseId }, data: { nodeId: choice.nodeId } });
    return { nodeIds: [choice.nodeId], routesChanged: false, decision: { nodeName: choice.nodeName, reason: choice.reason } };
  });
}
