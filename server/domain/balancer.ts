// Which sites to move this round so that no node stays hot while another idles. Pure: the control
// worker reads nodes (heartbeat metrics), sites (placements, pins, last move) and settings, calls
// planMoves, and starts a planned move (an Operation) for each answer. Every rule that keeps the
// balancer from flapping lives here, so the simulation test can prove it over many rounds.
//
// Load model. A node's load is its CPU busy share (0..1, from the heartbeat's usagePct). A site's
// share of it is estimated from its request rate: work(site) = busy cores × rate / node's total
// rate. Moving the site carries that work (in cores) to the target, whose load then rises by
// work / target cores. Baseline CPU not explained by requests (cron, backups) stays where it is,
// which makes the estimate pessimistic for the source and safe for the target.

export type BalancerNode = {
  id: string;
  name: string;
  /** Node.status; only HEALTHY nodes give or take sites. */
  status: string;
  /** CPU cores (Node.capacityCpus, or the heartbeat's cpu.cores when known). */
  cores: number;
  /** CPU busy share 0..100 from the last heartbeat; null when no valid heartbeat is stored. */
  cpuPct: number | null;
  /** Requests per second per site id served live here (the caller maps metrics hosts to sites). */
  siteRequestsPerSec: Readonly<Record<string, number>>;
};

export type BalancerSite = {
  id: string;
  /** What a person reads in the reason ("shop.test"). */
  name: string;
  liveNodeId: string;
  pinnedNodeId: string | null;
  replicaNodeIds: readonly string[];
  /** When the site last changed live node (move or failover); null if never. */
  lastMovedAt: Date | null;
  /** A move, failover or rollback is in flight: the balancer leaves it alone. */
  busy?: boolean;
};

export type BalancerSettings = {
  /** A node at or above this load (0..1) is hot. */
  hotThreshold: number;
  /** A node at or below this load is cold: only cold nodes take sites. */
  coldThreshold: number;
  /**
   * Hysteresis: after a move the target must stay at least this far below the hot threshold, so
   * the load it takes (and measurement noise) cannot make it hot next round. cold + band ≤ hot.
   */
  hysteresisBand: number;
  /** Move budget: at most this many moves per round, over the whole cluster. */
  maxMovesPerRound: number;
  /** A site that moved less than this long ago stays where it is. */
  coolDownMs: number;
  /** A move must lower the pair's peak load (max of source and target) by at least this much. */
  minImprovement: number;
};

export const defaultBalancerSettings: BalancerSettings = {
  hotThreshold: 0.8,
  coldThreshold: 0.5,
  hysteresisBand: 0.1,
  maxMovesPerRound: 2,
  coolDownMs: 10 * 60_000,
  minImprovement: 0.05,
};

export type BalancerMove = {
  siteId: string;
  fromNodeId: string;
  toNodeId: string;
  /** The target already holds a replica: only the delta since its last snapshot is sent. */
  toReplica: boolean;
  requestsPerSec: number;
  /** Projected loads (0..1) after this move and the ones before it in the same round. */
  projected: { source: number; target: number };
  reason: string;
};

export type BalancerPlan = {
  moves: BalancerMove[];
  /** Why a hot node was left as it is (no cold node, everything pinned, ...), for the admin log. */
  notes: string[];
};

const pct = (x: number) => `${Math.round(x * 100)}%`;
const rate = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));

export function validateBalancerSettings(s: BalancerSettings): string | null {
  const unit = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1;
  if (![s.hotThreshold, s.coldThreshold, s.hysteresisBand, s.minImprovement].every(unit)) return "thresholds, band and improvement are loads between 0 and 1";
  if (s.coldThreshold + s.hysteresisBand > s.hotThreshold) return "the cold threshold plus the hysteresis band must not exceed the hot threshold";
  if (!Number.isInteger(s.maxMovesPerRound) || s.maxMovesPerRound < 0) return "the move budget is a whole number";
  if (!Number.isFinite(s.coolDownMs) || s.coolDownMs < 0) return "the cool-down is a duration";
  return null;
}

type Working = { node: BalancerNode; cores: number; work: number; rates: Map<string, number> };

export function planMoves(nodes: readonly BalancerNode[], sites: readonly BalancerSite[], settings: BalancerSettings, now: Date): BalancerPlan {
  const invalid = validateBalancerSettings(settings);
  if (invalid) throw new Error(`balancer settings: ${invalid}`);
  const notes: string[] = [];
  const moves: BalancerMove[] = [];

  // Working copy of every node with a known load: moves within a round update it, so the second
  // move of a round sees the first one's effect.
  const working = new Map<string, Working>();
  for (const node of nodes) {
    if (node.cpuPct === null || !Number.isFinite(node.cpuPct)) continue;
    const cores = Math.max(1, node.cores);
    const rates = new Map<string, number>();
    for (const [siteId, r] of Object.entries(node.siteRequestsPerSec)) if (Number.isFinite(r) && r > 0) rates.set(siteId, r);
    working.set(node.id, { node, cores, work: (Math.min(100, Math.max(0, node.cpuPct)) / 100) * cores, rates });
  }
  const load = (w: Working) => w.work / w.cores;
  const totalRate = (w: Working) => [...w.rates.values()].reduce((a, b) => a + b, 0);

  const siteById = new Map(sites.map((s) => [s.id, s]));
  const liveOf = new Map(sites.map((s) => [s.id, s.liveNodeId]));
  const movedThisRound = new Set<string>();
  // A node keeps one role per round: one that gave a site takes none and vice versa, so a round
  // never shuffles load in a circle on estimates it has not measured yet.
  const gave = new Set<string>();
  const took = new Set<string>();

  while (moves.length < settings.maxMovesPerRound) {
    const healthy = [...working.values()].filter((w) => w.node.status === "HEALTHY");
    // Sources are HEALTHY too: a planned move pre-copies from a working source; a sick node's
    // sites are the failure detector's business, not the balancer's.
    const hot = healthy.filter((w) => load(w) >= settings.hotThreshold && !took.has(w.node.id)).sort((a, b) => load(b) - load(a) || a.node.name.localeCompare(b.node.name));
    const cold = healthy.filter((w) => load(w) <= settings.coldThreshold && !gave.has(w.node.id));
    if (hot.length === 0) break;

    let chosen: { move: BalancerMove; src: Working; tgt: Working; work: number } | null = null;
    for (const src of hot) {
      if (cold.length === 0) {
        notes.push(`${src.node.name} at ${pct(load(src))} CPU, but no healthy node is at or below ${pct(settings.coldThreshold)}`);
        continue;
      }
      const srcLoad = load(src);
      const srcRate = totalRate(src);
      const candidates: Array<{ site: BalancerSite; tgt: Working; work: number; siteRate: number; toReplica: boolean; residual: number; after: { source: number; target: number } }> = [];
      let blocked = 0;
      for (const [siteId, siteRate] of src.rates) {
        const site = siteById.get(siteId);
        if (!site || liveOf.get(siteId) !== src.node.id) continue;
        if (site.pinnedNodeId || site.busy || movedThisRound.has(siteId) || (site.lastMovedAt && now.getTime() - site.lastMovedAt.getTime() < settings.coolDownMs)) {
          blocked++;
          continue;
        }
        const work = srcRate > 0 ? (src.work * siteRate) / srcRate : 0;
        for (const tgt of cold) {
          if (tgt.node.id === src.node.id) continue;
          const after = { source: (src.work - work) / src.cores, target: (tgt.work + work) / tgt.cores };
          // No ping-pong: the target must end cooler than the source was, clear of the hot line by
          // the band, and the pair's peak must drop by the minimum improvement.
          if (after.target >= srcLoad) continue;
          if (after.target > settings.hotThreshold - settings.hysteresisBand) continue;
          if (srcLoad - Math.max(after.source, after.target) < settings.minImprovement) continue;
          // The work that would level the pair exactly; the best site is the one closest to it.
          const ideal = (src.work * tgt.cores - tgt.work * src.cores) / (src.cores + tgt.cores);
          candidates.push({ site, tgt, work, siteRate, toReplica: site.replicaNodeIds.includes(tgt.node.id), residual: Math.abs(work - ideal), after });
        }
      }
      if (candidates.length === 0) {
        notes.push(
          blocked > 0 && blocked === src.rates.size
            ? `${src.node.name} at ${pct(srcLoad)} CPU, but every busy site on it is pinned, cooling down or already moving`
            : `${src.node.name} at ${pct(srcLoad)} CPU, but no single site move improves it by ${pct(settings.minImprovement)} without overloading a target`,
        );
        continue;
      }
      // Cheapest first (a replica target needs only a delta), then the site that best closes the
      // gap, then the busier site, then names for a stable answer.
      candidates.sort(
        (a, b) =>
          Number(b.toReplica) - Number(a.toReplica) ||
          a.residual - b.residual ||
          b.siteRate - a.siteRate ||
          a.site.name.localeCompare(b.site.name) ||
          a.tgt.node.name.localeCompare(b.tgt.node.name),
      );
      const c = candidates[0]!;
      chosen = {
        src,
        tgt: c.tgt,
        work: c.work,
        move: {
          siteId: c.site.id,
          fromNodeId: src.node.id,
          toNodeId: c.tgt.node.id,
          toReplica: c.toReplica,
          requestsPerSec: c.siteRate,
          projected: c.after,
          reason:
            `${src.node.name} at ${pct(srcLoad)} CPU, ${c.tgt.node.name} at ${pct(load(c.tgt))}: move ${c.site.name} (${rate(c.siteRate)} req/s) ` +
            `to ${c.tgt.node.name}${c.toReplica ? " (already a replica)" : ""}; expected ${pct(c.after.source)} and ${pct(c.after.target)}`,
        },
      };
      break;
    }
    if (!chosen) break;

    moves.push(chosen.move);
    movedThisRound.add(chosen.move.siteId);
    gave.add(chosen.src.node.id);
    took.add(chosen.tgt.node.id);
    liveOf.set(chosen.move.siteId, chosen.tgt.node.id);
    chosen.src.work -= chosen.work;
    chosen.tgt.work += chosen.work;
    chosen.src.rates.delete(chosen.move.siteId);
    chosen.tgt.rates.set(chosen.move.siteId, chosen.move.requestsPerSec);
  }
  // A hot node with nothing to give is noted once, however many passes the round took.
  return { moves, notes: [...new Set(notes)] };
}
