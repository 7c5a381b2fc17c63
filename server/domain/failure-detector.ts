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

type DetectorInput = { now: number; nodes: readonly HeartbeatObservation[]; probes: readonly PeerProbe[]; previous: Readonly<Record<string, NodeHealth>> };

/** What the tick knows about the whole membership, for each node's verdict. */
type Evidence = {
  now: number;
  settings: DetectorSettings;
  nodes: readonly HeartbeatObservation[];
  heard: Set<string>;
  heardMembers: number;
  members: number;
  quorum: boolean;
  latestProbe: Map<string, PeerProbe>;
};

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function detectFailures(input: DetectorInput, settings: DetectorSettings = defaultDetectorSettings): DetectorResult {
  const { now } = input;
  const evidence = gatherEvidence(input, settings);
  const result: DetectorResult = { health: {}, transitions: [], newlyDead: [], rejoined: [], held: {} };
  for (const node of input.nodes) {
    const prev = input.previous[node.nodeId];
    const from = prev?.state ?? null;
    const { next, reason, held } = verdict(evidence, node, prev);
    if (held) result.held[node.nodeId] = held;
    const changed = next !== from;
    const deadFlip = changed && (next === "DEAD" || from === "DEAD");
    result.health[node.nodeId] = {
      state: next,
      since: changed || !prev ? now : prev.since,
      deadFlipAt: deadFlip ? now : (prev?.deadFlipAt ?? null),
    };
    if (changed) {
      result.transitions.push({ nodeId: node.nodeId, from, to: next, reason });
      if (next === "DEAD") result.newlyDead.push(node.nodeId);
      if (from === "DEAD") result.rejoined.push(node.nodeId);
    }
  }
  return result;
}

const refusedSinceHeard = (n: HeartbeatObservation) => n.refusedAt != null && (n.lastHeartbeatAt === null || n.refusedAt > n.lastHeartbeatAt);

/** Who is heard, whether that is a quorum, and the newest usable probe per (from, to). */
function gatherEvidence(input: DetectorInput, settings: DetectorSettings): Evidence {
  const { now } = input;
  const fresh = (n: HeartbeatObservation) => n.lastHeartbeatAt !== null && now - n.lastHeartbeatAt <= settings.suspectAfterMs && !refusedSinceHeard(n);
  const heard = new Set(input.nodes.filter(fresh).map((n) => n.nodeId));
  const members = input.nodes.filter((n) => input.previous[n.nodeId]?.state !== "DEAD");
  const heardMembers = members.filter((n) => heard.has(n.nodeId)).length;
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
  return { now, settings, nodes: input.nodes, heard, heardMembers, members: members.length, quorum: heardMembers * 2 >= members.length, latestProbe };
}

/** One node's next state, why, and (when it is kept from DEAD or held DEAD) why it is held. */
function verdict(e: Evidence, node: HeartbeatObservation, prev: NodeHealth | undefined): { next: Health; reason: string; held?: string } {
  const from = prev?.state ?? null;
  const holdDownOver = !prev || prev.deadFlipAt === null || e.now - prev.deadFlipAt >= e.settings.holdDownMs;
  const silentFor = node.lastHeartbeatAt === null ? null : e.now - node.lastHeartbeatAt;
  const silence = (refusedSinceHeard(node) ? "its agent refuses connections, " : "") + (silentFor === null ? "never heard" : `silent for ${secs(silentFor)}`);
  if (e.heard.has(node.nodeId)) {
    if (from === "DEAD" && !holdDownOver) {
      const reason = "heartbeats resumed; it rejoins when the hold-down ends";
      return { next: "DEAD", reason, held: reason };
    }
    return { next: "HEALTHY", reason: from === "DEAD" ? "heartbeats resumed: rejoins as a replica" : "heartbeats resumed" };
  }
  if (from === "DEAD") return { next: "DEAD", reason: silence };
  const peers = e.nodes.filter((p) => p.nodeId !== node.nodeId && e.heard.has(p.nodeId));
  let down = 0;
  let up = 0;
  for (const p of peers) {
    const probe = e.latestProbe.get(`${p.nodeId}\u0000${node.nodeId}`);
    if (probe?.reachable) up++;
    else if (probe) down++;
  }
  const confirmed = peers.length > 0 && down * 2 > peers.length;
  const suspect = (held: string) => ({ next: "SUSPECT" as const, reason: silence, held });
  if (peers.length === 0) return suspect("no other node the control plane hears can confirm");
  if (!e.quorum) return suspect(`the control plane hears only ${e.heardMembers} of ${e.members} nodes (no quorum): it may be the one cut off`);
  if (!confirmed && up > 0) return suspect(`${up} of ${peers.length} peers reach it: the control plane is cut off from it, the node is not dead`);
  if (!confirmed) return suspect(`${down} of ${peers.length} peers confirm it unreachable (more than half needed)`);
  if (!holdDownOver) return suspect("confirmed unreachable, but it rejoined within the hold-down");
  return { next: "DEAD", reason: `${silence} and unreachable for ${down} of ${peers.length} peers` };
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
