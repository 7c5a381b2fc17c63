import type { Db } from "../../server/db";
import { ensureDatabasePlacement, ensureSitePlacement } from "./place-site";
import { settleOperations, recordUnplaced, type EdgeProbe } from "./operation-progress";
import { routableSiteWhere } from "./read-route-table";

// The periodic repair of lost or stuck work (docs/architecture.md, invariant 2): an event lost between Redis and
// a worker, a job that exhausted its retries, a node that drifted. Everything it finds is turned
// back into the same idempotent placement and reconcile calls the events make.

export type SweepOptions = { behindForMs?: number; driftCheckMs?: number; probe?: EdgeProbe };

export async function sweep(db: Db, enqueue: (nodeIds: readonly string[], force?: boolean) => Promise<void>, opts: SweepOptions = {}): Promise<void> {
  const behindSince = new Date(Date.now() - (opts.behindForMs ?? 5_000));
  const driftBefore = new Date(Date.now() - (opts.driftCheckMs ?? 60_000));

  const [sitesBehind, unrouted, dbsBehind, state, nodes] = await Promise.all([
    db.site.findMany({ where: { observedGeneration: { lt: db.site.fields.generation }, updatedAt: { lt: behindSince } }, take: 500, select: { id: true } }),
    // Routable but not routed (placement failed: no node had room), or routed but no longer routable.
    db.site.findMany({ where: { OR: [{ ...routableSiteWhere, routed: false }, { routed: true, NOT: routableSiteWhere }], updatedAt: { lt: behindSince } }, take: 500, select: { id: true } }),
    db.database.findMany({ where: { observedGeneration: { lt: db.database.fields.generation }, updatedAt: { lt: behindSince } }, take: 500, select: { id: true } }),
    db.clusterState.findUnique({ where: { id: 1 }, select: { routesVersion: true } }),
    db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { id: true, appliedSpecHash: true, appliedRoutesVersion: true, lastAppliedAt: true } }),
  ]);
  const nodeIds = new Set<string>();
  for (const s of new Map([...sitesBehind, ...unrouted].map((s) => [s.id, s])).values()) {
    const r = await ensureSitePlacement(db, s.id);
    if (r.unplaced) await recordUnplaced(db, s.id, r.unplaced);
    r.nodeIds.forEach((id) => nodeIds.add(id));
    if (r.routesChanged) nodes.forEach((n) => nodeIds.add(n.id));
  }
  for (const d of dbsBehind) (await ensureDatabasePlacement(db, d.id)).nodeIds.forEach((id) => nodeIds.add(id));
  const version = state?.routesVersion ?? 0n;
  for (const n of nodes) if (n.appliedSpecHash === null || n.appliedRoutesVersion < version) nodeIds.add(n.id);
  if (nodeIds.size) await enqueue([...nodeIds]);
  // Drift repair: the agent re-observes and re-converges even though its spec has not changed.
  const drifting = nodes.filter((n) => !n.lastAppliedAt || n.lastAppliedAt < driftBefore).map((n) => n.id);
  if (drifting.length) await enqueue(drifting, true);
  await settleOperations(db, opts.probe);
}
