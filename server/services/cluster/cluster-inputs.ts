import type { Db } from "../../db";
import { nodeMetricsSchema } from "../../contract/node-metrics";
import type { BalancerNode, BalancerSite } from "../../domain/balancer";
import { siteRelocationKinds } from "../../domain/operation-kinds";

// What the pure balancer needs, read from Postgres in one snapshot, for the control worker's
// periodic rounds. Kept next to the map service because both read the same picture of the
// cluster; neither writes anything.

/** Operation kinds that change a site's live node: the last one finished is the site's last move. */
export { siteRelocationKinds };

export type BalancerInputs = { nodes: BalancerNode[]; sites: BalancerSite[] };

export async function readBalancerInputs(db: Db): Promise<BalancerInputs> {
  return db.$transaction(
    async (tx) => {
      const nodes = await tx.node.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true, status: true, capacityCpus: true, metrics: true } });
      const placements = await tx.placement.findMany({
        where: { site: { deletedAt: null, status: "ACTIVE" } },
        select: { nodeId: true, role: true, site: { select: { id: true, pinnedNodeId: true, domain: { select: { name: true, displayName: true } } } } },
      });
      const siteIds = [...new Set(placements.map((p) => p.site.id))];
      const [running, lastMoves] = await Promise.all([
        tx.operation.findMany({ where: { targetType: "Site", targetId: { in: siteIds }, status: { in: ["PENDING", "RUNNING"] } }, select: { targetId: true } }),
        tx.operation.groupBy({
          by: ["targetId"],
          where: { targetType: "Site", targetId: { in: siteIds }, kind: { in: [...siteRelocationKinds] }, status: "SUCCEEDED" },
          _max: { finishedAt: true },
        }),
      ]);
      const busy = new Set(running.map((o) => o.targetId));
      const movedAt = new Map(lastMoves.map((m) => [m.targetId, m._max.finishedAt]));

      // Heartbeats report traffic per host; the balancer counts it per site. A host belongs to the
      // site whose domain it is, on the node serving that site live.
      const liveByNode = new Map<string, Map<string, string>>();
      const sites = new Map<string, BalancerSite>();
      for (const p of placements) {
        const s = sites.get(p.site.id) ?? {
          id: p.site.id,
          name: p.site.domain.displayName,
          liveNodeId: "",
          pinnedNodeId: p.site.pinnedNodeId,
          replicaNodeIds: [] as string[],
          lastMovedAt: movedAt.get(p.site.id) ?? null,
          busy: busy.has(p.site.id),
        };
        if (p.role === "PRIMARY") {
          s.liveNodeId = p.nodeId;
          const hosts = liveByNode.get(p.nodeId) ?? new Map<string, string>();
          hosts.set(p.site.domain.name, p.site.id);
          liveByNode.set(p.nodeId, hosts);
        } else {
          (s.replicaNodeIds as string[]).push(p.nodeId);
        }
        sites.set(p.site.id, s);
      }
      const balancerNodes: BalancerNode[] = nodes.map((n) => {
        const parsed = nodeMetricsSchema.safeParse(n.metrics);
        const hosts = liveByNode.get(n.id) ?? new Map<string, string>();
        const siteRequestsPerSec: Record<string, number> = {};
        if (parsed.success) {
          for (const [host, rates] of Object.entries(parsed.data.sites)) {
            const siteId = hosts.get(host);
            if (siteId) siteRequestsPerSec[siteId] = (siteRequestsPerSec[siteId] ?? 0) + rates.requestsPerSec;
          }
        }
        return {
          id: n.id,
          name: n.name,
          status: n.status,
          cores: parsed.success ? parsed.data.cpu.cores : n.capacityCpus,
          cpuPct: parsed.success ? parsed.data.cpu.usagePct : null,
          siteRequestsPerSec,
        };
      });
      // A site without a live placement cannot be balanced (failover's business).
      return { nodes: balancerNodes, sites: [...sites.values()].filter((s) => s.liveNodeId !== "") };
    },
    { isolationLevel: "RepeatableRead" },
  );
}
