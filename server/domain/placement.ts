// Where a new site goes: the healthy node with the most headroom. Pure, so the scoring and every
// tie-break is unit tested; the caller records the decision and its reason with the placement.

export type PlacementCandidate = {
  id: string;
  name: string;
  status: string;
  capacitySites: number;
  capacityDiskMb: number;
  capacityCpus: number;
  /** Live (PRIMARY) sites on the node now, including ones placed in this same decision batch. */
  siteCount: number;
  /** From the latest heartbeat; unknown metrics count as zero use. */
  diskUsedMb: number;
  load1: number;
};

export type PlacementDecision =
  | { ok: true; nodeId: string; nodeName: string; reason: string }
  | { ok: false; reason: string };

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Headroom left on each axis, 0..1 (negative when over); the node's score is its tightest axis. */
export function headroom(n: PlacementCandidate): { sites: number; disk: number; load: number; score: number } {
  const sites = 1 - n.siteCount / Math.max(1, n.capacitySites);
  const disk = 1 - n.diskUsedMb / Math.max(1, n.capacityDiskMb);
  const load = 1 - n.load1 / Math.max(1, n.capacityCpus);
  return { sites, disk, load, score: Math.min(sites, disk, load) };
}

export function chooseNode(candidates: readonly PlacementCandidate[], opts: { exclude?: ReadonlySet<string>; pinnedNodeId?: string | null } = {}): PlacementDecision {
  const healthy = candidates.filter((n) => n.status === "HEALTHY" && !opts.exclude?.has(n.id));
  if (opts.pinnedNodeId) {
    const pinned = healthy.find((n) => n.id === opts.pinnedNodeId);
    if (pinned) return { ok: true, nodeId: pinned.id, nodeName: pinned.name, reason: `pinned to ${pinned.name} by an admin` };
  }
  const open = healthy.filter((n) => n.siteCount < n.capacitySites);
  if (open.length === 0) {
    const why = candidates.length === 0 ? "no nodes are registered" : healthy.length === 0 ? "no node is healthy" : "every healthy node is full";
    return { ok: false, reason: `No node can take the site: ${why}.` };
  }
  const ranked = open
    .map((n) => ({ n, h: headroom(n) }))
    .sort((a, b) => b.h.score - a.h.score || a.n.siteCount - b.n.siteCount || a.n.name.localeCompare(b.n.name));
  const best = ranked[0]!;
  const others = ranked.slice(1, 3).map((r) => `${r.n.name} ${pct(r.h.score)}`);
  return {
    ok: true,
    nodeId: best.n.id,
    nodeName: best.n.name,
    reason:
      `most headroom on ${best.n.name}: ${pct(best.h.score)} (sites ${best.n.siteCount}/${best.n.capacitySites}, ` +
      `disk ${pct(1 - best.h.disk)} used, load ${best.n.load1.toFixed(2)} on ${best.n.capacityCpus} cores)` +
      (others.length ? `; next: ${others.join(", ")}` : ""),
  };
}
