import { db } from "../../db";
import { AppError } from "../../errors";
import { siteWhere, type Scope } from "../../auth/scope";

export type SiteSnapshotView = { id: string; kind: "SCHEDULED" | "MANUAL" | "PRE_ROLLBACK" | "DIVERGENT"; takenAt: Date; sizeBytes: number };

/**
 * The points in time a site can be rolled back to: the snapshots on the node that serves it,
 * newest first (a rollback restores on that node; replicas' copies are not offered here).
 */
export async function listSiteSnapshots(scope: Scope, input: { id: string; limit: number }): Promise<SiteSnapshotView[]> {
  const site = await db.site.findFirst({
    where: { id: input.id, deletedAt: null, ...siteWhere(scope) },
    select: { id: true, placements: { where: { role: "PRIMARY" }, select: { nodeId: true } } },
  });
  if (!site) throw AppError.notFound("Site");
  const live = site.placements[0]?.nodeId;
  if (!live) return [];
  const rows = await db.snapshot.findMany({
    where: { siteId: site.id, nodeId: live },
    orderBy: [{ takenAt: "desc" }, { id: "desc" }],
    take: input.limit,
    select: { id: true, kind: true, takenAt: true, sizeBytes: true },
  });
  return rows.map((r) => ({ ...r, sizeBytes: Number(r.sizeBytes) }));
}
