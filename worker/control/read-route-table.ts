import type { Db, Tx } from "../../server/db";
import type { RouteTableBody } from "../../server/contract/route-table";

// The edges' route table: every routable site, the node that serves it live, its placement epoch
// (the agents refuse an older epoch: fencing) and whether it is paused (requests held). Its
// version is ClusterState.routesVersion, read in the same snapshot as the placements.

/** The routes as the edges take them (PUT /v1/routes), and the version they are at. */
export type RouteTable = { version: bigint; routes: RouteTableBody["routes"] };

/** A site is routable while it, its domain and its account are live. */
export const routableSiteWhere = {
  deletedAt: null,
  status: { not: "TERMINATED" as const },
  domain: { deletedAt: null },
  account: { deletedAt: null, status: { not: "TERMINATED" as const } },
};

export async function readRouteTable(db: Db): Promise<RouteTable> {
  return db.$transaction(
    async (tx) => {
      const state = await tx.clusterState.findUnique({ where: { id: 1 }, select: { routesVersion: true } });
      const placements = await tx.placement.findMany({
        where: { role: "PRIMARY", site: { routed: true } },
        orderBy: { siteId: "asc" },
        select: { siteId: true, epoch: true, node: { select: { address: true, backendPort: true } }, site: { select: { paused: true, domain: { select: { name: true } } } } },
      });
      return {
        version: state?.routesVersion ?? 0n,
        routes: placements.map((p) => ({
          siteId: p.siteId,
          domains: [p.site.domain.name],
          target: { address: p.node.address, port: p.node.backendPort },
          epoch: p.epoch,
          paused: p.site.paused,
        })),
      };
    },
    { isolationLevel: "RepeatableRead" },
  );
}

/**
 * Serialises route-table changes and placement decisions across every worker process; held until
 * the transaction ends. Without it two workers could place two sites on the same "emptiest" node,
 * or commit route versions out of order.
 */
export async function lockClusterState(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(7400401)`;
}

/** Bumps and returns the route version (call under lockClusterState). */
export async function bumpRoutesVersion(tx: Tx): Promise<bigint> {
  const state = await tx.clusterState.upsert({
    where: { id: 1 },
    create: { id: 1, routesVersion: 1n },
    update: { routesVersion: { increment: 1 } },
    select: { routesVersion: true },
  });
  return state.routesVersion;
}

/** Pauses (requests held at every edge) or releases sites: one route version for all of them. Publish after. */
export async function setSitesPaused(db: Db, siteIds: readonly string[], paused: boolean): Promise<bigint> {
  return db.$transaction(async (tx) => {
    await lockClusterState(tx);
    const version = await bumpRoutesVersion(tx);
    await tx.site.updateMany({ where: { id: { in: [...siteIds] } }, data: { paused, routeVersion: version } });
    return version;
  });
}
