import { chooseNode, type PlacementCandidate } from "./placement";

// Re-replication: a site keeps its plan's `copies` on nodes that count (not DEAD, not
// PENDING). When a node is lost, each site it held gets a new replica on the best other node
// once the loss has lasted a grace period; when the lost node comes back, the site holds one copy
// too many and one of the pair (the stand-in or the returning copy) is released. Pure, so every
// choice and tie-break is unit tested; worker/control/re-replicate.ts reads the inputs and acts.

/**
 * A replica placed by re-replication starts its reason with this, naming the nodes it stands in
 * for: "re-replica (for node-1): most headroom ...". Once the pair is resolved the reason is
 * rewritten (a later surplus, after a move, is not this code's to undo), and while such a replica
 * holds no snapshot yet its first (full) copy is re-replicate.ts's to send (replicate.ts skips it).
 */
export const reReplicaReasonPrefix = "re-replica";

export function reReplicaReason(lostNodeNames: readonly string[], why: string): string {
  return `${reReplicaReasonPrefix}${lostNodeNames.length ? ` (for ${lostNodeNames.join(", ")})` : ""}: ${why}`;
}

const reReplicaPattern = /^re-replica(?: \(for ([^)]*)\))?: /;

/** The node names a re-replica stands in for ([] for one that replaced nothing), or null for any other placement. */
export function replacedNodeNames(reason: string | null | undefined): string[] | null {
  const m = reReplicaPattern.exec(reason ?? "");
  if (!m) return null;
  return (m[1] ?? "").split(", ").filter(Boolean);
}

/** Whether a node's copies count towards a site's plan: a DEAD or never-heard node's do not. */
export const countsAsCopy = (status: string): boolean => status !== "DEAD" && status !== "PENDING";

export type ReplicationNode = PlacementCandidate & {
  /** When the node's health last changed (for a DEAD node: since when it is dead), ms. */
  healthSince: number | null;
};

export type ReplicationSite = {
  siteId: string;
  copies: number;
  cadenceMs: number;
  /** Newest snapshot's size, so several new replicas in one round spread over the nodes. */
  sizeMb: number;
  /** An operation runs on the site (a move, a failover, a rollback, a seed or release of ours). */
  busy: boolean;
  placements: { nodeId: string; role: "PRIMARY" | "REPLICA"; reason: string | null }[];
  /**
   * Per node: how far its newest snapshot in common with the live node trails the live node's
   * newest scheduled one (ms); null when it holds none in common. The live node itself is 0.
   */
  lagMs: Readonly<Record<string, number | null>>;
  /** Nodes holding a non-scheduled snapshot of the site (DIVERGENT, PRE_ROLLBACK, MANUAL): never released. */
  pinnedOn: readonly string[];
};

export type ReplicationInput = {
  now: number;
  graceMs: number;
  /** New replicas being seeded at once, cluster-wide (those in flight count). */
  budget: number;
  /** ... and onto any one node. */
  perNode: number;
  /** Target nodes of the seeds in flight, one entry per seed. */
  inFlight: readonly string[];
  nodes: readonly ReplicationNode[];
  sites: readonly ReplicationSite[];
};

export type ReplicaAddition = { siteId: string; nodeId: string; nodeName: string; lostNodeNames: string[]; reason: string };
export type ReplicaRelease = { siteId: string; nodeId: string; nodeName: string; standInNodeId: string; reason: string };
export type ReplicationPlan = { add: ReplicaAddition[]; release: ReplicaRelease[]; waiting: { siteId: string; reason: string }[] };

/** A copy trailing the live one by at most this is caught up (the cadence plus a replication's time). */
export function caughtUpWithinMs(cadenceMs: number): number {
  return Math.max(2 * cadenceMs, 10_000);
}

export function planReReplication(input: ReplicationInput): ReplicationPlan {
  const plan: ReplicationPlan = { add: [], release: [], waiting: [] };
  const nodeById = new Map(input.nodes.map((n) => [n.id, n]));
  const nodeByName = new Map(input.nodes.map((n) => [n.name, n]));
  const counts = (nodeId: string) => {
    const n = nodeById.get(nodeId);
    return n !== undefined && countsAsCopy(n.status);
  };
  const wait = (siteId: string, reason: string) => plan.waiting.push({ siteId, reason });

  // The pool is adjusted as replicas are planned, so one round spreads them over the nodes.
  const pool = input.nodes.map((n) => ({ ...n }));
  const seedsOn = new Map<string, number>();
  for (const nodeId of input.inFlight) seedsOn.set(nodeId, (seedsOn.get(nodeId) ?? 0) + 1);
  let slots = input.budget - input.inFlight.length;

  type Short = { site: ReplicationSite; have: number; lost: string[]; lostSince: number };
  const short: Short[] = [];
  for (const site of input.sites) {
    const copies = site.placements.filter((p) => counts(p.nodeId));
    const primary = site.placements.find((p) => p.role === "PRIMARY");
    if (copies.length === site.copies) continue;
    if (site.busy) {
      wait(site.siteId, "an operation is running on the site");
      continue;
    }
    if (!primary) {
      wait(site.siteId, "the site has no live node");
      continue;
    }
    const live = nodeById.get(primary.nodeId);
    if (live?.status !== "HEALTHY") {
      // Failover's business first; and copies are sent from the live node, which must answer.
      wait(site.siteId, `its live node ${live?.name ?? primary.nodeId} is ${live?.status ?? "unknown"}`);
      continue;
    }
    if (copies.length < site.copies) {
      const lostPlacements = site.placements.filter((p) => !counts(p.nodeId));
      // A node that has been down for less than the grace may be rebooting: its copy is not replaced yet.
      const lostSince = Math.max(0, ...lostPlacements.map((p) => nodeById.get(p.nodeId)?.healthSince ?? input.now));
      if (lostPlacements.length > 0 && input.now - lostSince < input.graceMs) {
        // Said the same way every round (the worker logs a reason when it changes).
        wait(site.siteId, `${lostPlacements.map((p) => nodeById.get(p.nodeId)?.name ?? p.nodeId).join(", ")} down since ${new Date(lostSince).toISOString()}; a new copy ${Math.round(input.graceMs / 1000)} s after`);
        continue;
      }
      short.push({ site, have: copies.length, lost: lostPlacements.map((p) => nodeById.get(p.nodeId)?.name ?? p.nodeId), lostSince });
    } else {
      planRelease(site, copies.length, { nodeById, nodeByName, counts, wait, plan });
    }
  }

  // The sites with the fewest copies first, then the ones waiting longest; ids break ties.
  short.sort((a, b) => a.have - b.have || a.lostSince - b.lostSince || a.site.siteId.localeCompare(b.site.siteId));
  for (const s of short) {
    const holding = new Set(s.site.placements.map((p) => p.nodeId));
    for (let i = s.have; i < s.site.copies; i++) {
      if (slots <= 0) {
        wait(s.site.siteId, `${input.budget} new replica(s) already being copied; next round`);
        break;
      }
      // Never two copies on one node, not even beside a dead node's copy; and a node busy
      // receiving `perNode` first copies takes no more this round.
      const full = new Set([...seedsOn].filter(([, n]) => n >= input.perNode).map(([id]) => id));
      const choice = chooseNode(pool, { exclude: new Set([...holding, ...full]) });
      if (!choice.ok) {
        wait(s.site.siteId, holding.size + full.size >= pool.filter((n) => n.status === "HEALTHY").length ? "every healthy node already holds it or is busy copying" : choice.reason);
        break;
      }
      plan.add.push({ siteId: s.site.siteId, nodeId: choice.nodeId, nodeName: choice.nodeName, lostNodeNames: s.lost, reason: reReplicaReason(s.lost, choice.reason) });
      holding.add(choice.nodeId);
      seedsOn.set(choice.nodeId, (seedsOn.get(choice.nodeId) ?? 0) + 1);
      const picked = pool.find((n) => n.id === choice.nodeId)!;
      picked.diskUsedMb += s.site.sizeMb;
      slots--;
    }
  }
  return plan;
}

type ReleaseContext = {
  nodeById: ReadonlyMap<string, ReplicationNode>;
  nodeByName: ReadonlyMap<string, ReplicationNode>;
  counts: (nodeId: string) => boolean;
  wait: (siteId: string, reason: string) => void;
  plan: ReplicationPlan;
};

/**
 * One copy too many, because a node a re-replica stood in for is back. Only such a pair is
 * considered (a surplus from anything else, a move's former source, is not this code's to
 * undo), and of the pair:
 * - never the live copy, never a copy holding a non-scheduled snapshot (a returning node's
 *   DIVERGENT copy, a rollback's kept state: the customer's way back lives there);
 * - the one that is not caught up goes first (a stale returning node without changes of its
 *   own is cheaper to drop than to catch up, and the stand-in already is current);
 * - both caught up: the stand-in goes, and the plan's original placement keeps its history;
 * - only while the copies left that are caught up still number the plan's `copies` (a
 *   returning node with a DIVERGENT copy is first caught up, then the stand-in goes).
 */
function planRelease(site: ReplicationSite, have: number, ctx: ReleaseContext): void {
  const { nodeById, nodeByName, counts, wait, plan } = ctx;
  const allowance = caughtUpWithinMs(site.cadenceMs);
  const caughtUp = (nodeId: string) => {
    const lag = site.lagMs[nodeId];
    return lag !== null && lag !== undefined && lag <= allowance;
  };
  let surplus = have - site.copies;
  const kept = new Set(site.placements.filter((p) => counts(p.nodeId)).map((p) => p.nodeId));
  const pinned = new Set(site.pinnedOn);
  for (const standIn of site.placements) {
    const replaced = replacedNodeNames(standIn.reason);
    if (surplus <= 0 || !replaced || !kept.has(standIn.nodeId)) continue;
    for (const name of replaced) {
      const back = nodeByName.get(name);
      const returning = back && site.placements.find((p) => p.nodeId === back.id);
      if (surplus <= 0 || !returning || !kept.has(returning.nodeId) || returning.nodeId === standIn.nodeId) continue;
      const options = [returning, standIn]
        .filter((p) => p.role === "REPLICA" && !pinned.has(p.nodeId))
        .sort((a, b) => Number(caughtUp(a.nodeId)) - Number(caughtUp(b.nodeId)) || Number(b === standIn) - Number(a === standIn));
      const drop = options.find((p) => [...kept].filter((id) => id !== p.nodeId && caughtUp(id)).length >= site.copies);
      if (!drop) {
        const why = options.length === 0 ? "both hold snapshots that are never released (or one is live)" : `waiting for ${[...kept].filter((id) => !caughtUp(id)).map((id) => nodeById.get(id)?.name ?? id).join(", ")} to catch up`;
        wait(site.siteId, `one copy too many (${name} is back beside its stand-in ${nodeById.get(standIn.nodeId)?.name}); ${why}`);
        continue;
      }
      const node = nodeById.get(drop.nodeId)!;
      const stale = !caughtUp(drop.nodeId);
      plan.release.push({
        siteId: site.siteId,
        nodeId: drop.nodeId,
        nodeName: node.name,
        standInNodeId: standIn.nodeId,
        reason:
          drop === standIn
            ? `${name} is back and caught up; its stand-in on ${node.name} is released`
            : `${name} is back ${stale ? "but behind" : "beside a current stand-in"}; the stand-in on ${nodeById.get(standIn.nodeId)?.name} is current, so ${name}'s copy is released`,
      });
      kept.delete(drop.nodeId);
      surplus--;
    }
  }
}
