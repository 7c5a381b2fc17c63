// Which sites to move this round so that no node stays hot while another idles. Pure: the control
// worker (worker/control/balance.ts) reads nodes (heartbeat metrics), sites (placements, pins,
// last move), the recent moves and settings, calls planMoves, and starts a planned move (an
// Operation) for each answer. Every rule that keeps the balancer from flapping lives here, so the
// simulation tests can prove it over many rounds.
//
// Load model. A node's load is its CPU busy share (0..1, from the heartbeat's usagePct). A site's
// share of it is estimated from its request rate: work(site) = busy cores × rate / node's total
// rate. Moving the site carries that work (in cores) to the target, whose load then rises by
// work / target cores. Baseline CPU not explained by requests (cron, backups) stays where it is,
// which makes the estimate pessimistic for the source and safe for the target.
//
// Rules, in the order they are applied each round:
// - Budget: at most maxMovesPerRound moves this round, and at most maxMovesPerWindow moves started
//   (by anyone: admin, pin or balancer) in any budgetWindowMs.
// - One move per node: a node with a move in flight, or one that finished less than nodeSettleMs
//   ago (its heartbeat does not show the effect yet), neither gives nor takes; within a round each
//   node takes part in one move at most.
// - Pins first. A site pinned to the node it runs on never moves. A site pinned to another node is
//   moved there (an admin's explicit wish: no load rules apply, but the budget, the one-move-per-
//   node rule, the site's cool-down and the target's health and room do). A failed attempt is
//   retried after the cool-down, so a bad pin costs one move per cool-down, not one per round.
// - Hysteresis: a node is hot at or above hotThreshold and only gives to a node at or below
//   coldThreshold (so the gap is at least hot − cold), by its CPU sample and, when known, its
//   1-minute load average per core alike (a spike is not a trend); the target must end at or below
//   hot − hysteresisBand and cooler than the source was, and the pair's peak must drop by at
//   least minImprovement. Under a steady load a node that took a site can therefore never turn
//   hot from it, so nothing comes back: no ping-pong, no flapping.
// - Cool-down: a site that moved (or was tried) less than coolDownMs ago stays where it is.
// - Room: the target must have a free site slot (unless it already holds a replica) and disk use
//   below maxTargetDiskPct.
// - Cheap first: a target that already holds a replica needs only a delta, so it wins ties.
// - Site counts, after the load rules and with what budget they leave: when a node comes back
//   from a failover or joins, it serves nothing while the others serve everything. Each HEALTHY
//   node has a fair share of the live sites, total × its weight / all weights (the weight is its
//   capacitySites when every healthy node states one, else its cores), and a surplus, its live
//   sites minus that share. One site moves from a node to another only when (a) the source's
//   surplus exceeds the target's by at least countBand, and (b) the pair stays in order after it:
//   (source − 1) / its weight ≥ (target + 1) / its weight, so the target never ends fuller than
//   the source and the same pair can never be moved the other way by this rule (with equal
//   weights: source − 1 ≥ target + 1). Each such move lowers Σ count² / weight, so under a steady
//   cluster the moves run out: no flapping. The moved site is the cheapest one: a replica already
//   on the target first, then the lowest request rate. A site that carries load may go only where
//   the target's projected load (CPU sample, and its 1-minute load per core when known) stays at
//   or below hot − hysteresisBand, so a count move never makes a node hot, and the load rules have
//   nothing to undo; a site with no measured requests adds no load and is not held back by it. Pins, busy sites,
//   cool-down, room, budgets and one move per node apply as to every other move.

export type BalancerNode = {
  id: string;
  name: string;
  /** Node.status; only HEALTHY nodes give or take sites. */
  status: string;
  /** CPU cores (Node.capacityCpus, or the heartbeat's cpu.cores when known). */
  cores: number;
  /** CPU busy share 0..100 from the last heartbeat; null when no valid heartbeat is stored. */
  cpuPct: number | null;
  /**
   * The 1-minute load average from the same heartbeat; null or absent = unknown. A node is hot
   * (or cold) only when this, per core, agrees with its CPU sample: one busy second is not a
   * reason to move a site, and nodes sharing one machine (the local cluster) never disagree.
   */
  load1?: number | null;
  /** Requests per second per site id served live here (the caller maps metrics hosts to sites). */
  siteRequestsPerSec: Readonly<Record<string, number>>;
  /** Placements (live and replica) on the node, and how many it may hold; unknown = no limit. */
  siteCount?: number;
  capacitySites?: number;
  /** Disk use 0..100 of the file system holding the sites, from the heartbeat; null = unknown. */
  diskUsedPct?: number | null;
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

/** A planned move started recently (by anyone), in flight while finishedAt is null. */
export type RecentMove = {
  siteId: string;
  /** The nodes it involves, when known (a move of a site whose nodes were removed has none). */
  fromNodeId: string | null;
  toNodeId: string | null;
  startedAt: Date;
  finishedAt: Date | null;
};

export type BalancerHistory = { recentMoves: readonly RecentMove[] };

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
  /** Move budget: at most this many moves started in any budgetWindowMs, over the whole cluster. */
  maxMovesPerWindow: number;
  budgetWindowMs: number;
  /** A site that moved less than this long ago stays where it is. */
  coolDownMs: number;
  /** A node whose last move finished less than this long ago sits the round out (stale metrics). */
  nodeSettleMs: number;
  /** A move must lower the pair's peak load (max of source and target) by at least this much. */
  minImprovement: number;
  /** A target at or above this disk use (0..1) takes no site. */
  maxTargetDiskPct: number;
  /**
   * Site counts: a site moves from a node to another only when the first's surplus of live sites
   * over its fair share exceeds the second's by at least this many (whole sites; 0 turns the
   * count rule off). With equal nodes and the default 2: 11/6/1 becomes 6/6/6, 7/6/5 becomes
   * 6/6/6, and 7/6/6 stays (one move could not close it without reversing the pair).
   */
  countBand: number;
};

export const defaultBalancerSettings: BalancerSettings = {
  hotThreshold: 0.8,
  coldThreshold: 0.5,
  hysteresisBand: 0.1,
  maxMovesPerRound: 2,
  maxMovesPerWindow: 6,
  budgetWindowMs: 10 * 60_000,
  coolDownMs: 10 * 60_000,
  nodeSettleMs: 60_000,
  minImprovement: 0.05,
  maxTargetDiskPct: 0.9,
  countBand: 2,
};

export type BalancerMove = {
  siteId: string;
  fromNodeId: string;
  toNodeId: string;
  /** "balance": hot to cold; "pin": an admin pinned the site to the target; "count": fullest to emptiest by live sites. */
  kind: "balance" | "pin" | "count";
  /** The target already holds a replica: only the delta since its last snapshot is sent. */
  toReplica: boolean;
  requestsPerSec: number;
  /**
   * Projected loads (0..1) after this move and the ones before it in the same round; null for a
   * pin move between nodes whose load is not known (a pin does not need it).
   */
  projected: { source: number; target: number } | null;
  reason: string;
};

export type BalancerPlan = {
  moves: BalancerMove[];
  /** Why a hot node or a pin was left as it is (no cold node, budget spent, ...), for the log. */
  notes: string[];
};

const pct = (x: number) => `${Math.round(x * 100)}%`;
const rate = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
const minutes = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`);

export function validateBalancerSettings(s: BalancerSettings): string | null {
  const unit = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1;
  if (![s.hotThreshold, s.coldThreshold, s.hysteresisBand, s.minImprovement, s.maxTargetDiskPct].every(unit)) return "thresholds, band, improvement and disk limit are shares between 0 and 1";
  if (s.coldThreshold + s.hysteresisBand > s.hotThreshold) return "the cold threshold plus the hysteresis band must not exceed the hot threshold";
  if (![s.maxMovesPerRound, s.maxMovesPerWindow].every((n) => Number.isInteger(n) && n >= 0)) return "the move budgets are whole numbers";
  if (![s.coolDownMs, s.budgetWindowMs, s.nodeSettleMs].every((ms) => Number.isFinite(ms) && ms >= 0)) return "the cool-down, budget window and settle time are durations";
  if (!Number.isInteger(s.countBand) || s.countBand < 0 || s.countBand > 1000) return "the site count band is a whole number of sites from 0 (off) to 1000";
  return null;
}

type Working = { node: BalancerNode; cores: number; work: number; rates: Map<string, number>; load1PerCore: number | null };
type Candidate = { site: BalancerSite; tgt: Working; work: number; siteRate: number; toReplica: boolean; residual: number; after: { source: number; target: number } };
type Chosen = { move: BalancerMove; work: number };

/** One round's state: the moves so far, the nodes they involve, and every node's load as they leave it. */
type Round = {
  settings: BalancerSettings;
  t: number;
  notes: string[];
  moves: BalancerMove[];
  nodeById: Map<string, BalancerNode>;
  /** Nodes that sit the rest of the round out (a move in flight, settling, or planned this round). */
  involved: Set<string>;
  /** Working copy of every node with a known load: the second move of a round sees the first one's effect. */
  working: Map<string, Working>;
  budget: number;
  budgetNote(): string;
  cooling(s: BalancerSite): boolean;
  siteById: Map<string, BalancerSite>;
  movedThisRound: Set<string>;
  /** Each site's live node, as the round's moves leave it. */
  liveOf: Map<string, string>;
};

const load = (w: Working) => w.work / w.cores;
const totalRate = (w: Working) => [...w.rates.values()].reduce((a, b) => a + b, 0);
/** Work (cores) a site carries off its node, by its share of the node's requests. */
const workOf = (w: Working, siteId: string) => {
  const total = totalRate(w);
  return total > 0 ? (w.work * (w.rates.get(siteId) ?? 0)) / total : 0;
};
const isHot = (w: Working, s: BalancerSettings) => load(w) >= s.hotThreshold && (w.load1PerCore === null || w.load1PerCore >= s.hotThreshold);
const isCold = (w: Working, s: BalancerSettings) => load(w) <= s.coldThreshold && (w.load1PerCore === null || w.load1PerCore <= s.coldThreshold);

export function planMoves(
  nodes: readonly BalancerNode[],
  sites: readonly BalancerSite[],
  settings: BalancerSettings,
  now: Date,
  history: BalancerHistory = { recentMoves: [] },
): BalancerPlan {
  const invalid = validateBalancerSettings(settings);
  if (invalid) throw new Error(`balancer settings: ${invalid}`);
  const round = startRound(nodes, sites, settings, now.getTime(), history);
  // Pins first: an admin asked for them. Stable order by name.
  const misplaced = sites.filter((s) => s.pinnedNodeId && s.pinnedNodeId !== s.liveNodeId).sort((a, b) => a.name.localeCompare(b.name));
  for (const site of misplaced) planPin(round, site);
  for (const m of round.moves) round.liveOf.set(m.siteId, m.toNodeId);
  for (const m of round.moves) round.movedThisRound.add(m.siteId);
  while (round.moves.length < round.budget) {
    const chosen = balancePass(round);
    if (!chosen) break;
    apply(round, chosen.move, chosen.work);
    round.movedThisRound.add(chosen.move.siteId);
    round.liveOf.set(chosen.move.siteId, chosen.move.toNodeId);
  }
  // Then site counts, with what the load rules left of the budget.
  while (settings.countBand > 0 && round.moves.length < round.budget) {
    const chosen = countPass(round);
    if (!chosen) break;
    apply(round, chosen.move, chosen.work);
    round.movedThisRound.add(chosen.move.siteId);
    round.liveOf.set(chosen.move.siteId, chosen.move.toNodeId);
  }
  if (settings.countBand > 0 && round.moves.length >= round.budget) {
    const spread = countSpread(round);
    if (spread) round.notes.push(`site counts ${spread} wait: ${round.budgetNote()}`);
  }
  // Hot nodes left hot because the budget ran out say so (once).
  if (round.moves.length >= round.budget) {
    const stillHot = [...round.working.values()].filter((w) => w.node.status === "HEALTHY" && isHot(w, settings) && !round.involved.has(w.node.id));
    if (stillHot.length > 0) round.notes.push(`${stillHot.map((w) => `${w.node.name} at ${pct(load(w))} CPU`).join(", ")} waits: ${round.budgetNote()}`);
  }
  // A hot node with nothing to give is noted once, however many passes the round took.
  return { moves: round.moves, notes: [...new Set(round.notes)] };
}

function startRound(nodes: readonly BalancerNode[], sites: readonly BalancerSite[], settings: BalancerSettings, t: number, history: BalancerHistory): Round {
  // Budget: the round's, capped by what the window has left.
  const inWindow = history.recentMoves.filter((m) => t - m.startedAt.getTime() < settings.budgetWindowMs).length;
  const budget = Math.max(0, Math.min(settings.maxMovesPerRound, settings.maxMovesPerWindow - inWindow));
  const budgetNote = () =>
    budget === settings.maxMovesPerRound
      ? `move budget spent: ${budget} ${budget === 1 ? "move" : "moves"} this round`
      : `move budget spent: ${inWindow} ${inWindow === 1 ? "move" : "moves"} started in the last ${minutes(settings.budgetWindowMs)} (at most ${settings.maxMovesPerWindow})`;
  // Nodes that sit this round out: a move in flight, or one so recent its heartbeat lags. Every
  // node taking part in a move of this round joins them, so each node is in one move at most.
  const involved = new Set<string>();
  for (const m of history.recentMoves) {
    if (m.finishedAt !== null && t - m.finishedAt.getTime() >= settings.nodeSettleMs) continue;
    if (m.fromNodeId) involved.add(m.fromNodeId);
    if (m.toNodeId) involved.add(m.toNodeId);
  }
  // Cool-down counts from the last change of live node and from the last attempt, whatever its end.
  const lastTried = new Map<string, number>();
  for (const m of history.recentMoves) lastTried.set(m.siteId, Math.max(lastTried.get(m.siteId) ?? 0, m.startedAt.getTime()));
  const cooling = (s: BalancerSite) => t - Math.max(s.lastMovedAt?.getTime() ?? -Infinity, lastTried.get(s.id) ?? -Infinity) < settings.coolDownMs;
  return {
    settings,
    t,
    notes: [],
    moves: [],
    nodeById: new Map(nodes.map((n) => [n.id, n])),
    involved,
    working: workingCopy(nodes),
    budget,
    budgetNote,
    cooling,
    siteById: new Map(sites.map((s) => [s.id, s])),
    movedThisRound: new Set(),
    liveOf: new Map(sites.map((s) => [s.id, s.liveNodeId])),
  };
}

function workingCopy(nodes: readonly BalancerNode[]): Map<string, Working> {
  const working = new Map<string, Working>();
  for (const node of nodes) {
    if (node.cpuPct === null || !Number.isFinite(node.cpuPct)) continue;
    const cores = Math.max(1, node.cores);
    const rates = new Map<string, number>();
    for (const [siteId, r] of Object.entries(node.siteRequestsPerSec)) if (Number.isFinite(r) && r > 0) rates.set(siteId, r);
    const load1PerCore = node.load1 != null && Number.isFinite(node.load1) ? Math.max(0, node.load1) / cores : null;
    working.set(node.id, { node, cores, work: (Math.min(100, Math.max(0, node.cpuPct)) / 100) * cores, rates, load1PerCore });
  }
  return working;
}

/** Why `n` cannot take the site (its disk, its site capacity), or null if it can. */
function noRoom(settings: BalancerSettings, n: BalancerNode, site: BalancerSite): string | null {
  if (n.diskUsedPct != null && n.diskUsedPct / 100 >= settings.maxTargetDiskPct) return `${n.name}'s disk is ${Math.round(n.diskUsedPct)}% full`;
  if (!site.replicaNodeIds.includes(n.id) && n.capacitySites !== undefined && n.siteCount !== undefined && n.siteCount >= n.capacitySites) return `${n.name} holds ${n.siteCount} of ${n.capacitySites} sites`;
  return null;
}

function apply(round: Round, move: BalancerMove, work: number): void {
  round.moves.push(move);
  round.involved.add(move.fromNodeId);
  round.involved.add(move.toNodeId);
  const src = round.working.get(move.fromNodeId);
  const tgt = round.working.get(move.toNodeId);
  if (src) {
    src.work -= work;
    src.rates.delete(move.siteId);
  }
  if (tgt) {
    tgt.work += work;
    if (move.requestsPerSec > 0) tgt.rates.set(move.siteId, move.requestsPerSec);
  }
}

/** A pinned site on another node moves to its pin, or a note says why it waits. */
function planPin(round: Round, site: BalancerSite): void {
  const { settings, involved } = round;
  const to = round.nodeById.get(site.pinnedNodeId!);
  const from = round.nodeById.get(site.liveNodeId);
  const wait = (why: string) => round.notes.push(`${site.name} is pinned to ${to?.name ?? "a removed node"} but stays on ${from?.name ?? "its node"}: ${why}`);
  if (!to) return void wait("that node no longer exists");
  if (to.status !== "HEALTHY") return void wait(`${to.name} is ${to.status.toLowerCase()}`);
  if (!from || from.status !== "HEALTHY") return void wait(`a planned move needs a healthy source, and ${from?.name ?? "its node"} is ${from?.status.toLowerCase() ?? "unknown"}`);
  if (site.busy) return void wait("a move, failover or rollback of it is in flight");
  if (round.cooling(site)) return void wait(`it moved (or a move was tried) less than ${minutes(settings.coolDownMs)} ago`);
  if (involved.has(from.id) || involved.has(to.id)) return void wait(`${involved.has(from.id) ? from.name : to.name} is busy with another move`);
  const full = noRoom(settings, to, site);
  if (full) return void wait(full);
  if (round.moves.length >= round.budget) return void wait(round.budgetNote());
  const src = round.working.get(from.id);
  const tgt = round.working.get(to.id);
  const work = src ? workOf(src, site.id) : 0;
  const projected = src && tgt ? { source: (src.work - work) / src.cores, target: (tgt.work + work) / tgt.cores } : null;
  const toReplica = site.replicaNodeIds.includes(to.id);
  const reason = `${site.name} is pinned to ${to.name} by an admin: move it from ${from.name}${toReplica ? " (already a replica)" : ""}`;
  apply(round, { siteId: site.id, fromNodeId: from.id, toNodeId: to.id, kind: "pin", toReplica, requestsPerSec: src?.rates.get(site.id) ?? 0, projected, reason }, work);
}

/** The best balance move of this pass (off the hottest node that has one), or null. */
function balancePass(round: Round): Chosen | null {
  const { settings } = round;
  const healthy = [...round.working.values()].filter((w) => w.node.status === "HEALTHY" && !round.involved.has(w.node.id));
  // Sources are HEALTHY too: a planned move pre-copies from a working source; a sick node's
  // sites are the failure detector's business, not the balancer's.
  const hot = healthy.filter((w) => isHot(w, settings)).sort((a, b) => load(b) - load(a) || a.node.name.localeCompare(b.node.name));
  const cold = healthy.filter((w) => isCold(w, settings));
  for (const w of healthy) {
    if (load(w) >= settings.hotThreshold && !hot.includes(w)) round.notes.push(`${w.node.name} at ${pct(load(w))} CPU, but its 1-minute load is ${w.load1PerCore!.toFixed(2)} per core: not hot for long enough to move a site`);
  }
  for (const src of hot) {
    if (cold.length === 0) {
      const coldButBusy = [...round.working.values()].filter((w) => w.node.status === "HEALTHY" && round.involved.has(w.node.id) && isCold(w, settings));
      round.notes.push(
        coldButBusy.length > 0
          ? `${src.node.name} at ${pct(load(src))} CPU, but every node at or below ${pct(settings.coldThreshold)} is busy with a move`
          : `${src.node.name} at ${pct(load(src))} CPU, but no healthy node is at or below ${pct(settings.coldThreshold)}`,
      );
      continue;
    }
    const chosen = bestMoveFrom(round, src, cold);
    if (chosen) return chosen;
  }
  return null;
}

/** The best site to move off `src` to one of the cold nodes, or null (with a note saying why). */
function bestMoveFrom(round: Round, src: Working, cold: Working[]): Chosen | null {
  const { settings } = round;
  const srcLoad = load(src);
  const { candidates, blocked, full } = candidatesFrom(round, src, cold);
  if (candidates.length === 0) {
    round.notes.push(
      blocked > 0 && blocked === src.rates.size
        ? `${src.node.name} at ${pct(srcLoad)} CPU, but every busy site on it is pinned, cooling down or already moving`
        : full.size > 0
          ? `${src.node.name} at ${pct(srcLoad)} CPU, but no cold node can take a site that would help (${[...full].sort().join("; ")})`
          : `${src.node.name} at ${pct(srcLoad)} CPU, but no single site move improves it by ${pct(settings.minImprovement)} without overloading a target`,
    );
    return null;
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
  return {
    work: c.work,
    move: {
      siteId: c.site.id,
      fromNodeId: src.node.id,
      toNodeId: c.tgt.node.id,
      kind: "balance",
      toReplica: c.toReplica,
      requestsPerSec: c.siteRate,
      projected: c.after,
      reason:
        `${src.node.name} at ${pct(srcLoad)} CPU, ${c.tgt.node.name} at ${pct(load(c.tgt))}: move ${c.site.name} (${rate(c.siteRate)} req/s) ` +
        `to ${c.tgt.node.name}${c.toReplica ? " (already a replica)" : ""}; expected ${pct(c.after.source)} and ${pct(c.after.target)}`,
    },
  };
}

/** Every (site on `src`, cold target) pair that helps; how many sites may not move; why targets were full. */
function candidatesFrom(round: Round, src: Working, cold: Working[]): { candidates: Candidate[]; blocked: number; full: Set<string> } {
  const { settings } = round;
  const srcLoad = load(src);
  const candidates: Candidate[] = [];
  let blocked = 0;
  const full = new Set<string>();
  for (const [siteId, siteRate] of src.rates) {
    const site = round.siteById.get(siteId);
    if (!site || round.liveOf.get(siteId) !== src.node.id) continue;
    // A pinned site never moves by load: pinned here it stays, pinned elsewhere the pin pass
    // handles it.
    if (site.pinnedNodeId || site.busy || round.movedThisRound.has(siteId) || round.cooling(site)) {
      blocked++;
      continue;
    }
    const work = workOf(src, siteId);
    for (const tgt of cold) {
      if (tgt.node.id === src.node.id) continue;
      const why = noRoom(settings, tgt.node, site);
      if (why) {
        full.add(why);
        continue;
      }
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
  return { candidates, blocked, full };
}

/** Each HEALTHY node's live sites (as this round's moves leave them), weight and surplus over its fair share. */
type CountEntry = { node: BalancerNode; count: number; weight: number; surplus: number };

function countTable(round: Round): { entries: CountEntry[]; weighted: boolean } {
  const healthy = [...round.nodeById.values()].filter((n) => n.status === "HEALTHY");
  // Capacity when every healthy node states one (an admin's statement of its size), else cores.
  const byCapacity = healthy.length > 0 && healthy.every((n) => n.capacitySites !== undefined && n.capacitySites > 0);
  const weightOf = (n: BalancerNode) => (byCapacity ? n.capacitySites! : Math.max(1, n.cores));
  const counts = new Map(healthy.map((n) => [n.id, 0]));
  for (const nodeId of round.liveOf.values()) if (counts.has(nodeId)) counts.set(nodeId, counts.get(nodeId)! + 1);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const weights = healthy.map(weightOf);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const weighted = weights.some((w) => w !== weights[0]);
  const entries = healthy.map((node, i) => {
    const count = counts.get(node.id)!;
    // Equal weights: the fair share is the same for all, and surplus differences are whole numbers exactly.
    const surplus = weighted ? count - (total * weights[i]!) / weightSum : count;
    return { node, count, weight: weights[i]!, surplus };
  });
  return { entries, weighted };
}

/** "node-1 11, node-2 6, node-3 1" when the fullest and emptiest healthy nodes are out of the band, else null. */
function countSpread(round: Round): string | null {
  const { entries } = countTable(round);
  if (entries.length < 2) return null;
  const sorted = [...entries].sort((a, b) => b.surplus - a.surplus);
  if (sorted[0]!.surplus - sorted[sorted.length - 1]!.surplus < round.settings.countBand - 1e-9) return null;
  return `(${entries.map((e) => `${e.node.name} ${e.count}`).join(", ")})`;
}

/** The best count move of this pass (fullest to emptiest pair that has one), or null. */
function countPass(round: Round): Chosen | null {
  const { settings } = round;
  const { entries, weighted } = countTable(round);
  const free = entries.filter((e) => !round.involved.has(e.node.id));
  const sources = [...free].sort((a, b) => b.surplus - a.surplus || a.node.name.localeCompare(b.node.name));
  const targets = [...free].sort((a, b) => a.surplus - b.surplus || a.node.name.localeCompare(b.node.name));
  // Only the first pair's trouble is noted: it is the widest gap, and the one a reader looks for.
  const notesBefore = round.notes.length;
  for (const src of sources) {
    for (const tgt of targets) {
      if (tgt === src) continue;
      // (a) out of the band, (b) the pair stays in order after the move (so it cannot be reversed).
      if (src.surplus - tgt.surplus < settings.countBand - 1e-9) break;
      if ((src.count - 1) * tgt.weight < (tgt.count + 1) * src.weight) continue;
      const chosen = countMoveBetween(round, src, tgt, weighted);
      if (chosen) {
        round.notes.length = notesBefore;
        return chosen;
      }
    }
  }
  round.notes.length = Math.min(round.notes.length, notesBefore + 1);
  return null;
}

/** The cheapest site on `src` that `tgt` can take without turning hot, or null (with a note saying why). */
function countMoveBetween(round: Round, src: CountEntry, tgt: CountEntry, weighted: boolean): Chosen | null {
  const { settings } = round;
  const srcW = round.working.get(src.node.id);
  const tgtW = round.working.get(tgt.node.id);
  const gap = `${src.node.name} serves ${src.count} live sites, ${tgt.node.name} ${tgt.count}`;
  // The load projection needs both nodes' figures: a node without a heartbeat yet waits for one.
  if (!srcW || !tgtW) {
    round.notes.push(`${gap}, but ${!tgtW ? tgt.node.name : src.node.name} reports no load yet`);
    return null;
  }
  const limit = settings.hotThreshold - settings.hysteresisBand;
  const candidates: Array<{ site: BalancerSite; work: number; siteRate: number; toReplica: boolean; after: { source: number; target: number } }> = [];
  let blocked = 0;
  let tooHot = 0;
  let full: string | null = null;
  for (const [siteId, liveNodeId] of round.liveOf) {
    if (liveNodeId !== src.node.id) continue;
    const site = round.siteById.get(siteId);
    if (!site) continue;
    if (site.pinnedNodeId || site.busy || round.movedThisRound.has(siteId) || round.cooling(site)) {
      blocked++;
      continue;
    }
    const why = noRoom(settings, tgt.node, site);
    if (why) {
      full = why;
      continue;
    }
    const work = workOf(srcW, siteId);
    const after = { source: (srcW.work - work) / srcW.cores, target: (tgtW.work + work) / tgtW.cores };
    const load1After = tgtW.load1PerCore === null ? null : tgtW.load1PerCore + work / tgtW.cores;
    // A site with no measured requests adds no load anywhere: it may go even to a busy target (on
    // one machine, as in the local cluster, every node shows the same busy figures).
    if (work > 0 && (after.target > limit || (load1After !== null && load1After > limit))) {
      tooHot++;
      continue;
    }
    candidates.push({ site, work, siteRate: srcW.rates.get(siteId) ?? 0, toReplica: site.replicaNodeIds.includes(tgt.node.id), after });
  }
  if (candidates.length === 0) {
    round.notes.push(
      full !== null && blocked + tooHot === 0
        ? `${gap}, but ${full}`
        : tooHot > 0
          ? `${gap}, but every site that may move would put ${tgt.node.name} above ${pct(limit)} CPU`
          : `${gap}, but every site on ${src.node.name} is pinned, cooling down or already moving`,
    );
    return null;
  }
  // Cheapest first: a replica already there (only a delta to send), then the quietest site.
  candidates.sort((a, b) => Number(b.toReplica) - Number(a.toReplica) || a.siteRate - b.siteRate || a.site.name.localeCompare(b.site.name));
  const c = candidates[0]!;
  const share = weighted ? ` (weighted by capacity: ${src.weight} and ${tgt.weight})` : "";
  return {
    work: c.work,
    move: {
      siteId: c.site.id,
      fromNodeId: src.node.id,
      toNodeId: tgt.node.id,
      kind: "count",
      toReplica: c.toReplica,
      requestsPerSec: c.siteRate,
      projected: c.after,
      reason:
        `${gap}${share}, at least ${settings.countBand} apart: move ${c.site.name} (${rate(c.siteRate)} req/s) to ${tgt.node.name}` +
        `${c.toReplica ? " (already a replica)" : ""}, leaving ${src.count - 1} and ${tgt.count + 1}; ${tgt.node.name} expected at ${pct(c.after.target)} CPU`,
    },
  };
}
