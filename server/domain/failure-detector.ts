// Whether a node is dead, and what to do about it. Pure: the control worker feeds it, every tick,
// the heartbeat times it recorded (Node.lastHeartbeatAt), the peer probes the agents reported, and
// the previous tick's answer; it returns each node's health, the transitions with a reason, and
// (through planFailover) which sites to fence and where to promote them.
//
// States: HEALTHY → SUSPECT when the control plane has heard nothing for `suspectAfterMs`; SUSPECT
// → DEAD only when a strict majority of the reachable peers (the other nodes whose heartbeats the
// control plane does hear) probed it after its last heartbeat and could not reach it. With two
// nodes that is the other node; with one node nothing can confirm, and nothing is failed over
// (there is nowhere to fail over to). Heartbeats resuming make a SUSPECT node HEALTHY at once and a
// DEAD node HEALTHY (it rejoins as a replica) once the hold-down has passed.
//
// Decisions on partitions:
// - Control plane cut off from a node that its peers still reach: the node is serving through
//   the edges, so it is NOT dead; it stays SUSPECT (shown as DEGRADED), nothing moves.
// - Control plane cut off from most of the cluster (it hears fewer than half of the nodes that
//   were not DEAD): the control plane is the one isolated, so it declares nobody dead ("no
//   quorum") until it hears enough nodes again. Half counts, so a two-node cluster can fail over.
// - A netsplit: the control plane is on one side (Postgres is its memory). Nodes on the other side
//   are silent to it and unreachable for the peers on its side, so they are confirmed DEAD and
//   their sites are promoted on the control plane's side with epoch + 1. The far side cannot
//   promote anything (only the control plane writes placements), so there is never a second
//   primary; its old primaries may keep taking writes from edges on their side until the split
//   heals. When they rejoin, the higher epoch makes them replicas, and what they wrote after the
//   fence is divergent data the storage layer keeps as a DIVERGENT snapshot for the customer.
// - Hold-down: a node enters or leaves DEAD at most once per `holdDownMs`, so a flapping link does
//   not fail sites over and back every few seconds. The price: a node that really dies within the
//   hold-down after rejoining is failed over when the hold-down ends, not at once.

export type Health = "HEALTHY" | "SUSPECT" | "DEAD";

export type NodeHealth = {
  state: Health;
  /** When the node entered this state (ms since the epoch, control plane clock). */
  since: number;
  /** When it last entered or left DEAD: the hold-down counts from here. */
  deadFlipAt: number | null;
};

export type DetectorSettings = {
  /** T1: heartbeat silence after which a node is SUSPECT. */
  suspectAfterMs: number;
  /** A peer probe older than this is no evidence either way. */
  probeMaxAgeMs: number;
  /** Minimum time between a node's entries into and exits from DEAD. */
  holdDownMs: number;
};

export const defaultDetectorSettings: DetectorSettings = { suspectAfterMs: 1_500, probeMaxAgeMs: 3_000, holdDownMs: 30_000 };

export type HeartbeatObservation = {
  nodeId: string;
  /** When the control plane last heard the node's agent (its own clock); null if never. */
  lastHeartbeatAt: number | null;
  /**
   * When a poll after that heartbeat was refused outright (connection refused or reset: nothing
   * listens any more), if one was. A refusal is not silence to wait out: the node is SUSPECT at
   * once, so its peers are asked in the same tick. A poll that merely times out is not a refusal.
   */
  refusedAt?: number | null;
};

/** One agent's report about another: "I (from) could / could not reach you (to) at `at`". */
export type PeerProbe = { fromNodeId: string; toNodeId: string; reachable: boolean; at: number };

export type HealthTransition = { nodeId: string; from: Health | null; to: Health; reason: string };

export type DetectorResult = {
  health: Record<string, NodeHealth>;
  transitions: HealthTransition[];
  /** Nodes that became DEAD in this tick: fence them (planFailover). */
  newlyDead: string[];
  /** DEAD nodes that came back: reconcile them as replicas (they serve nothing live). */
  rejoined: string[];
  /** Why a SUSPECT node was not declared dead, per node (for the admin's view and the log). */
  held: Record<string, string>;
};

export function detectFailures(
  input: { now: number; nodes: readonly HeartbeatObservation[]; probes: readonly PeerProbe[]; previous: Readonly<Record<string, NodeHealth>> },
  settings: DetectorSettings = defaultDetectorSettings,
): DetectorResult {
  const { now } = input;
  const refused = (n: HeartbeatObservation) => n.refusedAt != null && (n.lastHeartbeatAt === null || n.refusedAt > n.lastHeartbeatAt);
  const fresh = (n: HeartbeatObservation) => n.lastHeartbeatAt !== null && now - n.lastHeartbeatAt <= settings.suspectAfterMs && !refused(n);
  const heard = new Set(input.nodes.filter(fresh).map((n) => n.nodeId));
  const members = input.nodes.filter((n) => input.previous[n.nodeId]?.state !== "DEAD");
  const heardMembers = members.filter((n) => heard.has(n.nodeId)).length;
  const quorum = heardMembers * 2 >= members.length;

  // The newest usable probe per (from, to): taken after the target's last heartbeat (older ones
  // say nothing about the silence) and recently enough to still mean something.
  const lastHeartbeat = new Map(input.nodes.map((n) => [n.nodeId, n.lastHeartbeatAt]));
  const latestProbe = new Map<string, PeerProbe>();
  for (const p of input.probes) {
    if (p.fromNodeId === p.toNodeId || now - p.at > settings.probeMaxAgeMs || p.at > now) continue;
    const hb = lastHeartbeat.get(p.toNodeId);
    if (hb !== undefined && hb !== null && p.at <= hb) continue;
    const key = `${p.fromNodeId}\u0000${p.toNodeId}`;
    const seen = latestProbe.get(key);
    if (!seen || p.at > seen.at) latestProbe.set(key, p);
  }

  const health: Record<string, NodeHealth> = {};
  const transitions: HealthTransition[] = [];
  const newlyDead: string[] = [];
  const rejoined: string[] = [];
  const held: Record<string, string> = {};
  const holdDownOver = (h: NodeHealth | undefined) => !h || h.deadFlipAt === null || now - h.deadFlipAt >= settings.holdDownMs;
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

  for (const node of input.nodes) {
    const prev = input.previous[node.nodeId];
    const from = prev?.state ?? null;
    const silentFor = node.lastHeartbeatAt === null ? null : now - node.lastHeartbeatAt;
    const silence = (refused(node) ? "its agent refuses connections, " : "") + (silentFor === null ? "never heard" : `silent for ${secs(silentFor)}`);
    let next: Health;
    let reason: string;

    if (heard.has(node.nodeId)) {
      if (from === "DEAD" && !holdDownOver(prev)) {
        next = "DEAD";
        reason = "heartbeats resumed; it rejoins when the hold-down ends";
        held[node.nodeId] = reason;
      } else {
        next = "HEALTHY";
        reason = from === "DEAD" ? "heartbeats resumed: rejoins as a replica" : "heartbeats resumed";
      }
    } else if (from === "DEAD") {
      next = "DEAD";
      reason = silence;
    } else {
      const peers = input.nodes.filter((p) => p.nodeId !== node.nodeId && heard.has(p.nodeId));
      let down = 0;
      let up = 0;
      for (const p of peers) {
        const probe = latestProbe.get(`${p.nodeId}\u0000${node.nodeId}`);
        if (probe?.reachable) up++;
        else if (probe) down++;
      }
      const confirmed = peers.length > 0 && down * 2 > peers.length;
      next = "SUSPECT";
      reason = `${silence}`;
      if (peers.length === 0) held[node.nodeId] = "no other node the control plane hears can confirm";
      else if (!quorum) held[node.nodeId] = `the control plane hears only ${heardMembers} of ${members.length} nodes (no quorum): it may be the one cut off`;
      else if (!confirmed && up > 0) held[node.nodeId] = `${up} of ${peers.length} peers reach it: the control plane is cut off from it, the node is not dead`;
      else if (!confirmed) held[node.nodeId] = `${down} of ${peers.length} peers confirm it unreachable (more than half needed)`;
      else if (!holdDownOver(prev)) held[node.nodeId] = "confirmed unreachable, but it rejoined within the hold-down";
      else {
        next = "DEAD";
        reason = `${silence} and unreachable for ${down} of ${peers.length} peers`;
      }
    }

    const changed = next !== from;
    const deadFlip = changed && (next === "DEAD" || from === "DEAD");
    health[node.nodeId] = {
      state: next,
      since: changed || !prev ? now : prev.since,
      deadFlipAt: deadFlip ? now : (prev?.deadFlipAt ?? null),
    };
    if (changed) {
      transitions.push({ nodeId: node.nodeId, from, to: next, reason });
      if (next === "DEAD") newlyDead.push(node.nodeId);
      if (from === "DEAD") rejoined.push(node.nodeId);
    }
  }
  return { health, transitions, newlyDead, rejoined, held };
}

/** Node.status for a health state: SUSPECT shows as DEGRADED. */
export function nodeStatusFor(state: Health): "HEALTHY" | "DEGRADED" | "DEAD" {
  return state === "SUSPECT" ? "DEGRADED" : state;
}

// ---------------------------------------------------------------- fencing and failover

export type PlacementRef = { siteId: string; nodeId: string; role: "PRIMARY" | "REPLICA"; epoch: number };

/** The newest snapshot a node holds of a site (replica lag = newest anywhere minus this). */
export type SnapshotFreshness = { siteId: string; nodeId: string; lastSnapshotAt: number | null };

export type FailoverDecision = {
  siteId: string;
  /** The dead node that served the site live; its placement is fenced (it becomes a replica). */
  fromNodeId: string;
  /** The replica to promote, or null when no healthy node holds a copy (the site is down). */
  toNodeId: string | null;
  /** The epoch the promoted primary gets: above every epoch the site has had. */
  epoch: number;
  /** How far the promoted copy is behind the newest snapshot known anywhere; null if unknown. */
  lagMs: number | null;
  reason: string;
};

/**
 * Which sites to fail over: every site whose PRIMARY is on one of `deadNodeIds`. Passing all DEAD
 * nodes (not only the newly dead) is safe: a site already failed over has its primary elsewhere,
 * so a tick that crashed half-way is finished by the next one.
 */
export function planFailover(
  deadNodeIds: Iterable<string>,
  placements: readonly PlacementRef[],
  freshness: readonly SnapshotFreshness[],
  health: Readonly<Record<string, NodeHealth>>,
): FailoverDecision[] {
  const dead = new Set(deadNodeIds);
  const snapshotAt = new Map(freshness.map((f) => [`${f.siteId}\u0000${f.nodeId}`, f.lastSnapshotAt]));
  const bySite = new Map<string, PlacementRef[]>();
  for (const p of placements) bySite.set(p.siteId, [...(bySite.get(p.siteId) ?? []), p]);

  const decisions: FailoverDecision[] = [];
  for (const [siteId, ps] of [...bySite].sort(([a], [b]) => a.localeCompare(b))) {
    const primary = ps.find((p) => p.role === "PRIMARY");
    if (!primary || !dead.has(primary.nodeId)) continue;
    const epoch = Math.max(...ps.map((p) => p.epoch)) + 1;
    const at = (nodeId: string) => snapshotAt.get(`${siteId}\u0000${nodeId}`) ?? null;
    const newest = ps.reduce<number | null>((m, p) => {
      const t = at(p.nodeId);
      return t === null ? m : m === null ? t : Math.max(m, t);
    }, null);
    // Only a HEALTHY node takes over: a SUSPECT one may be dying too.
    const candidates = ps
      .filter((p) => p.role === "REPLICA" && health[p.nodeId]?.state === "HEALTHY" && !dead.has(p.nodeId))
      .sort((a, b) => (at(b.nodeId) ?? -Infinity) - (at(a.nodeId) ?? -Infinity) || a.nodeId.localeCompare(b.nodeId));
    const best = candidates[0];
    if (!best) {
      decisions.push({ siteId, fromNodeId: primary.nodeId, toNodeId: null, epoch, lagMs: null, reason: "no healthy node holds a replica: the site stays down until one does" });
      continue;
    }
    const bestAt = at(best.nodeId);
    const lagMs = newest !== null && bestAt !== null ? newest - bestAt : null;
    decisions.push({
      siteId,
      fromNodeId: primary.nodeId,
      toNodeId: best.nodeId,
      epoch,
      lagMs,
      reason:
        `live node ${primary.nodeId} is dead: promote the freshest replica on ${best.nodeId}` +
        (lagMs === null ? " (replica lag unknown)" : ` (${(lagMs / 1000).toFixed(1)} s behind the newest snapshot)`) +
        (candidates.length > 1 ? `, of ${candidates.length} healthy replicas` : ""),
    });
  }
  return decisions;
}

/**
 * The placements after the decisions: the fenced primary becomes a replica (its epoch is now below
 * the site's, so nothing it holds is served live again) and the chosen replica becomes PRIMARY
 * with the new epoch. A decision without a target changes nothing: with no copy to serve, the old
 * primary stays the record of where the site was, and its epoch will not be served by anyone else.
 */
export function applyFailover(placements: readonly PlacementRef[], decisions: readonly FailoverDecision[]): PlacementRef[] {
  const bySite = new Map(decisions.filter((d) => d.toNodeId !== null).map((d) => [d.siteId, d]));
  return placements.map((p) => {
    const d = bySite.get(p.siteId);
    if (!d) return p;
    if (p.nodeId === d.toNodeId) return { ...p, role: "PRIMARY", epoch: d.epoch };
    if (p.role === "PRIMARY") return { ...p, role: "REPLICA" };
    return p;
  });
}
