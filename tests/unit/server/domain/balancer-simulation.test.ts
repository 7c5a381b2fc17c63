import { describe, expect, it } from "vitest";
import { defaultBalancerSettings, planMoves, type BalancerMove, type BalancerNode, type BalancerSettings, type BalancerSite, type RecentMove } from "../../../../server/domain/balancer";
import { prng } from "../../../helpers/simulated-nodes";

// A synthetic cluster whose CPU follows its sites' request rates, driven through many balancer
// rounds (one a minute) with noisy measurements. A load shift must cause a bounded number of
// moves and then none: no flapping, no ping-pong, whatever the noise does.

type SimSite = { id: string; live: string; replicas: string[]; lastMovedAt: Date | null; pinned: boolean };


function simulate(opts: {
  nodes: number;
  cores: number;
  /** Requests per second of each site at minute `round`. */
  rateOf: (siteIndex: number, round: number) => number;
  sites: number;
  rounds: number;
  settings: BalancerSettings;
  seed: number;
  pinned?: Set<number>;
}) {
  const baselinePct = 5;
  const coreSecondsPerRequest = 0.01; // 10 ms of CPU per request
  const noisePct = 3;
  const rand = prng(opts.seed);
  const nodeIds = Array.from({ length: opts.nodes }, (_, i) => `node-${i + 1}`);
  const sites: SimSite[] = Array.from({ length: opts.sites }, (_, i) => ({
    id: `site-${i}`,
    live: nodeIds[i % opts.nodes]!,
    replicas: [nodeIds[(i + 1) % opts.nodes]!],
    lastMovedAt: null,
    pinned: opts.pinned?.has(i) ?? false,
  }));
  const movesByRound: BalancerMove[][] = [];
  const start = Date.UTC(2030, 0, 1);
  const peakByRound: number[] = [];

  for (let round = 0; round < opts.rounds; round++) {
    const now = new Date(start + round * 60_000);
    const nodes: BalancerNode[] = nodeIds.map((id) => {
      const rates: Record<string, number> = {};
      sites.forEach((s, i) => {
        if (s.live === id) rates[s.id] = opts.rateOf(i, round);
      });
      const busyCores = Object.values(rates).reduce((a, r) => a + r * coreSecondsPerRequest, 0);
      const truePct = baselinePct + (100 * busyCores) / opts.cores;
      const measured = Math.min(100, Math.max(0, truePct + (rand() * 2 - 1) * noisePct));
      return { id, name: id, status: "HEALTHY", cores: opts.cores, cpuPct: measured, siteRequestsPerSec: rates };
    });
    peakByRound.push(Math.max(...nodes.map((n) => n.cpuPct!)));
    const view: BalancerSite[] = sites.map((s) => ({
      id: s.id,
      name: `${s.id}.test`,
      liveNodeId: s.live,
      pinnedNodeId: s.pinned ? s.live : null,
      replicaNodeIds: s.replicas,
      lastMovedAt: s.lastMovedAt,
    }));
    const { moves } = planMoves(nodes, view, opts.settings, now);
    movesByRound.push(moves);
    // Applying a move the way a planned move ends: the target serves live, the source is a replica.
    for (const m of moves) {
      const s = sites.find((x) => x.id === m.siteId)!;
      s.replicas = [...s.replicas.filter((r) => r !== m.toNodeId), m.fromNodeId];
      s.live = m.toNodeId;
      s.lastMovedAt = now;
    }
  }
  const all = movesByRound.flat();
  const perSite = new Map<string, number>();
  for (const m of all) perSite.set(m.siteId, (perSite.get(m.siteId) ?? 0) + 1);
  const lastMoveRound = movesByRound.reduce((last, ms, r) => (ms.length ? r : last), -1);
  return { movesByRound, all, perSite, lastMoveRound, peakByRound, sites };
}

const settings: BalancerSettings = { ...defaultBalancerSettings, maxMovesPerRound: 2, coolDownMs: 10 * 60_000 };

describe("balancer simulation", () => {
  it("a load shift onto one node causes a bounded number of moves, then none", () => {
    // 4 nodes × 2 cores, 24 sites at 8 req/s (about 29% CPU each node). At minute 20 the six
    // sites on node-1 get five times the traffic: node-1 goes to 100% while the others idle.
    const shiftAt = 20;
    const rounds = 300;
    const r = simulate({
      nodes: 4,
      cores: 2,
      sites: 24,
      rounds,
      seed: 42,
      settings,
      rateOf: (i, round) => (round >= shiftAt && i % 4 === 0 ? 40 : 8),
    });
    console.log(
      `balancer simulation (shift): ${r.all.length} moves over ${rounds} rounds, last in round ${r.lastMoveRound}; ` +
        `peak CPU before ${Math.round(r.peakByRound[shiftAt]!)}%, at the end ${Math.round(r.peakByRound[rounds - 1]!)}%`,
    );
    for (const m of r.all) console.log(`  ${m.reason}`);

    expect(r.movesByRound.slice(0, shiftAt).flat()).toEqual([]);
    expect(r.all.length).toBeGreaterThan(0);
    // Six hot sites, four nodes: a handful of moves settles it; anything near a move a round is flapping.
    expect(r.all.length).toBeLessThanOrEqual(8);
    expect(Math.max(...r.perSite.values())).toBeLessThanOrEqual(2);
    // Settled well before the end, and stayed settled for the remaining 200+ noisy rounds.
    expect(r.lastMoveRound).toBeLessThan(shiftAt + 60);
    // And it actually helped: no node is hot any more.
    expect(r.peakByRound[rounds - 1]!).toBeLessThan(settings.hotThreshold * 100);
    // Never ping-pong: no site goes back to the node it just left.
    for (const [siteId] of r.perSite) {
      const hops = r.all.filter((m) => m.siteId === siteId);
      for (let k = 1; k < hops.length; k++) expect(hops[k]!.toNodeId).not.toBe(hops[k - 1]!.fromNodeId);
    }
  });

  it("a shift that comes and goes repeatedly settles each time and never flaps", () => {
    // Two hot phases of 60 minutes with quiet in between: the balancer may move during each
    // shift, but the total stays bounded and the quiet phases see no moves once settled.
    const rounds = 360;
    const hotPhase = (round: number) => (round >= 30 && round < 90) || (round >= 200 && round < 260);
    const r = simulate({
      nodes: 3,
      cores: 2,
      sites: 18,
      rounds,
      seed: 7,
      settings,
      rateOf: (i, round) => (hotPhase(round) && i % 3 === 1 ? 36 : 6),
    });
    console.log(`balancer simulation (recurring shift): ${r.all.length} moves over ${rounds} rounds, last in round ${r.lastMoveRound}`);
    expect(r.all.length).toBeLessThanOrEqual(12);
    expect(Math.max(...r.perSite.values())).toBeLessThanOrEqual(3);
    expect(r.movesByRound.slice(300).flat()).toEqual([]);
  });

  it("an overloaded cluster with no cold node makes no moves at all", () => {
    const r = simulate({ nodes: 3, cores: 2, sites: 12, rounds: 120, seed: 3, settings, rateOf: () => 40 });
    console.log(`balancer simulation (all hot): ${r.all.length} moves`);
    expect(r.all).toEqual([]);
  });

  it("pinned sites stay put even when they are the load", () => {
    const pinned = new Set([0, 4]);
    const r = simulate({ nodes: 4, cores: 2, sites: 8, rounds: 120, seed: 9, settings, pinned, rateOf: (i, round) => (round >= 10 && pinned.has(i) ? 80 : 4) });
    expect(r.all.filter((m) => m.siteId === "site-0" || m.siteId === "site-4")).toEqual([]);
    expect(r.sites[0]!.live).toBe("node-1");
  });
});

// Site counts after failures: a cluster whose nodes die and come back. A failover promotes each of
// the dead node's live sites on its replica at once (the dead node keeps a fenced copy, a replica
// when it returns); a planned move takes moveRounds rounds, during which the site is busy and the
// move is in the planner's history. Request rates and CPU samples are noisy every round.
type Phase = { round: number; node: string; status: string };

function simulateCounts(opts: {
  nodes: string[];
  /** Initial live node of each site (its replica is the next node in the list). */
  liveOf: (i: number) => string;
  sites: number;
  rounds: number;
  settings: BalancerSettings;
  seed: number;
  events?: Phase[];
  pinned?: Set<number>;
  roundMs?: number;
  moveRounds?: number;
}) {
  const rand = prng(opts.seed);
  const roundMs = opts.roundMs ?? 15_000;
  const moveRounds = opts.moveRounds ?? 2;
  const start = Date.UTC(2030, 0, 1);
  const status = new Map(opts.nodes.map((n) => [n, "HEALTHY"]));
  const sites = Array.from({ length: opts.sites }, (_, i) => {
    const live = opts.liveOf(i);
    const next = opts.nodes[(opts.nodes.indexOf(live) + 1) % opts.nodes.length]!;
    return { id: `site-${i}`, live, replicas: [next], lastMovedAt: null as Date | null, pinned: opts.pinned?.has(i) ?? false, baseRate: 1 + rand() * 4 };
  });
  const history: RecentMove[] = [];
  const inFlight: Array<{ move: BalancerMove; doneRound: number; index: number }> = [];
  const moves: Array<BalancerMove & { round: number }> = [];
  const countsByRound: Array<Record<string, number>> = [];
  for (let round = 0; round < opts.rounds; round++) {
    const now = new Date(start + round * roundMs);
    // Moves that are done: the target serves live, the source keeps a replica.
    for (const f of inFlight.filter((x) => x.doneRound === round)) {
      const s = sites.find((x) => x.id === f.move.siteId)!;
      history[f.index] = { ...history[f.index]!, finishedAt: now };
      if (status.get(f.move.toNodeId) === "HEALTHY" && s.live === f.move.fromNodeId) {
        s.replicas = [...s.replicas.filter((r) => r !== f.move.toNodeId), f.move.fromNodeId];
        s.live = f.move.toNodeId;
        s.lastMovedAt = now;
      }
    }
    inFlight.splice(0, inFlight.length, ...inFlight.filter((x) => x.doneRound > round));
    for (const e of opts.events?.filter((x) => x.round === round) ?? []) {
      status.set(e.node, e.status);
      if (e.status !== "DEAD") continue;
      // Failover: each live site on the dead node is promoted on a healthy replica.
      for (const s of sites.filter((x) => x.live === e.node)) {
        const to = s.replicas.find((r) => status.get(r) === "HEALTHY") ?? opts.nodes.find((n) => status.get(n) === "HEALTHY")!;
        s.replicas = [...s.replicas.filter((r) => r !== to), e.node];
        s.live = to;
        s.lastMovedAt = now;
      }
    }
    const nodes: BalancerNode[] = opts.nodes.map((id) => {
      const rates: Record<string, number> = {};
      for (const s of sites) if (s.live === id) rates[s.id] = s.baseRate * (0.5 + rand());
      const busy = Object.values(rates).reduce((a, r) => a + r * 0.01, 0);
      const cpuPct = Math.min(100, Math.max(0, 5 + (100 * busy) / 2 + (rand() * 2 - 1) * 3));
      return { id, name: id, status: status.get(id)!, cores: 2, cpuPct: status.get(id) === "DEAD" ? null : cpuPct, siteRequestsPerSec: rates };
    });
    const busySites = new Set(inFlight.map((f) => f.move.siteId));
    const view: BalancerSite[] = sites.map((s) => ({
      id: s.id,
      name: `${s.id}.test`,
      liveNodeId: s.live,
      pinnedNodeId: s.pinned ? s.live : null,
      replicaNodeIds: s.replicas,
      lastMovedAt: s.lastMovedAt,
      busy: busySites.has(s.id),
    }));
    const plan = planMoves(nodes, view, opts.settings, now, { recentMoves: history.filter((m) => now.getTime() - m.startedAt.getTime() < 3_600_000) });
    for (const m of plan.moves) {
      history.push({ siteId: m.siteId, fromNodeId: m.fromNodeId, toNodeId: m.toNodeId, startedAt: now, finishedAt: null });
      inFlight.push({ move: m, doneRound: round + moveRounds, index: history.length - 1 });
      moves.push({ ...m, round });
    }
    const counts: Record<string, number> = Object.fromEntries(opts.nodes.map((n) => [n, 0]));
    for (const s of sites) counts[s.live]!++;
    countsByRound.push(counts);
  }
  const healthySpread = (round: number, among: string[]) => {
    const c = among.map((n) => countsByRound[round]![n]!);
    return Math.max(...c) - Math.min(...c);
  };
  /** The first round at or after `from` whose counts among `among` are within the band (spread < band), or -1. */
  const settledAt = (from: number, among: string[]) => {
    for (let r = from; r < opts.rounds; r++) if (healthySpread(r, among) < opts.settings.countBand) return r;
    return -1;
  };
  return { moves, countsByRound, settledAt, sites, history };
}

describe("balancer simulation: site counts after failures", () => {
  const nodes = ["node-1", "node-2", "node-3"];
  const fmt = (c: Record<string, number>) => Object.values(c).join("/");

  it("11/6/1 after two failovers reaches the band within 40 rounds under the default budgets, then stays put for 450 noisy rounds", () => {
    const spread = [...Array(11).fill("node-1"), ...Array(6).fill("node-2"), "node-3"] as string[];
    const rounds = 500;
    const r = simulateCounts({ nodes, sites: 18, liveOf: (i) => spread[i]!, rounds, settings: defaultBalancerSettings, seed: 13 });
    const settled = r.settledAt(0, nodes);
    console.log(`balancer simulation (11/6/1): ${r.moves.length} moves, within the band (${fmt(r.countsByRound[settled]!)}) at round ${settled} (${(settled * 15) / 60} min)`);
    for (const m of r.moves) console.log(`  round ${m.round}: ${m.reason}`);
    expect(settled).toBeGreaterThan(0);
    expect(settled).toBeLessThanOrEqual(40);
    // The fewest moves that close it: 11/6/1 → 6/6/6 is five, all off the fullest node onto the emptiest.
    expect(r.moves.map((m) => `${m.fromNodeId}→${m.toNodeId}`)).toEqual(Array(5).fill("node-1→node-3"));
    expect(r.moves.every((m) => m.kind === "count")).toBe(true);
    expect(fmt(r.countsByRound[rounds - 1]!)).toBe("6/6/6");
    // Within both budgets.
    for (const m of r.moves) {
      expect(r.moves.filter((x) => x.round === m.round).length).toBeLessThanOrEqual(defaultBalancerSettings.maxMovesPerRound);
      expect(r.moves.filter((x) => x.round >= m.round && (x.round - m.round) * 15_000 < defaultBalancerSettings.budgetWindowMs).length).toBeLessThanOrEqual(defaultBalancerSettings.maxMovesPerWindow);
    }
  });

  it("two failovers and two returns, with noise: each return is balanced within the band, no site goes back and forth, and nothing moves once settled", () => {
    // 6/6/6; node-3 dies at round 20 and returns at round 60 (hold-down and rejoin); node-2 dies at
    // round 200 and returns at round 240. 500 rounds of 15 s.
    const rounds = 500;
    const events: Phase[] = [
      { round: 20, node: "node-3", status: "DEAD" },
      { round: 60, node: "node-3", status: "HEALTHY" },
      { round: 200, node: "node-2", status: "DEAD" },
      { round: 240, node: "node-2", status: "HEALTHY" },
    ];
    const r = simulateCounts({ nodes, sites: 18, liveOf: (i) => nodes[i % 3]!, rounds, settings: defaultBalancerSettings, seed: 21, events });
    const first = r.settledAt(60, nodes);
    const second = r.settledAt(240, nodes);
    console.log(
      `balancer simulation (two failovers): after failover 1 ${fmt(r.countsByRound[59]!)}, within the band ${first - 60} rounds after the return (${fmt(r.countsByRound[first]!)}); ` +
        `after failover 2 ${fmt(r.countsByRound[239]!)}, within the band ${second - 240} rounds after the return (${fmt(r.countsByRound[second]!)}); ${r.moves.length} moves`,
    );
    for (const m of r.moves) console.log(`  round ${m.round}: ${m.reason}`);
    // Nothing moves while the cluster is even. node-3's six sites all failed over to node-1 (their
    // replica), 12/6: the survivors are evened out while it is away (three moves), never onto it.
    expect(r.moves.filter((m) => m.round < 20)).toEqual([]);
    expect(fmt(r.countsByRound[20]!)).toBe("12/6/0");
    for (const m of r.moves.filter((x) => x.round < 60)) expect([m.fromNodeId, m.toNodeId]).toEqual(["node-1", "node-2"]);
    expect(fmt(r.countsByRound[59]!)).toBe("9/9/0");
    expect(first - 60).toBeLessThanOrEqual(40);
    expect(second - 240).toBeLessThanOrEqual(40);
    // After each return every move goes to the node that came back, the fewest that close it (6 each).
    for (const m of r.moves.filter((x) => x.round >= 60)) expect(m.toNodeId).toBe(m.round < 200 ? "node-3" : "node-2");
    expect(r.moves.filter((x) => x.round >= 60).length).toBe(12);
    // No flapping: between two changes of the cluster (a death, a return) each site moves at most
    // once, so nothing goes back and forth; and nothing moves once settled. (A site may go back to
    // a node it left in an earlier phase: node-2 coming back is a new reason.)
    const cuts = [0, ...events.map((e) => e.round), rounds];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const inPhase = r.moves.filter((m) => m.round >= cuts[k]! && m.round < cuts[k + 1]!).map((m) => m.siteId);
      expect(new Set(inPhase).size).toBe(inPhase.length);
    }
    expect(r.moves.filter((m) => m.round > second)).toEqual([]);
    expect(fmt(r.countsByRound[rounds - 1]!)).toBe("6/6/6");
  });

  it("a DRAINING node takes nothing, pinned sites never move, and the rest still reaches the band", () => {
    // node-4 is DRAINING and empty; three of node-1's 11 sites are pinned there.
    const all = [...nodes, "node-4"];
    const spread = [...Array(11).fill("node-1"), ...Array(6).fill("node-2"), "node-3"] as string[];
    const events: Phase[] = [{ round: 0, node: "node-4", status: "DRAINING" }];
    const pinned = new Set([0, 1, 2]);
    const r = simulateCounts({ nodes: all, sites: 18, liveOf: (i) => spread[i]!, rounds: 300, settings: defaultBalancerSettings, seed: 5, events, pinned });
    expect(r.moves.filter((m) => m.toNodeId === "node-4")).toEqual([]);
    expect(r.moves.filter((m) => pinned.has(Number(m.siteId.split("-")[1])))).toEqual([]);
    expect(r.settledAt(0, nodes)).toBeGreaterThan(0);
    expect(fmt(r.countsByRound[299]!)).toBe("6/6/6/0");
  });

  it("respects the cool-down: a site failed over a moment ago stays, another one goes", () => {
    // node-3 returns 2 rounds after its failover: the sites that failed over are cooling down, the
    // ones that were on node-1 and node-2 all along are not. Every planned move is of the latter.
    const events: Phase[] = [
      { round: 2, node: "node-3", status: "DEAD" },
      { round: 4, node: "node-3", status: "HEALTHY" },
    ];
    const r = simulateCounts({ nodes, sites: 18, liveOf: (i) => nodes[i % 3]!, rounds: 120, settings: defaultBalancerSettings, seed: 8, events });
    const failedOver = new Set(Array.from({ length: 18 }, (_, i) => i).filter((i) => i % 3 === 2).map((i) => `site-${i}`));
    const early = r.moves.filter((m) => (m.round - 2) * 15_000 < defaultBalancerSettings.coolDownMs);
    expect(early.length).toBeGreaterThan(0);
    for (const m of early) expect(failedOver.has(m.siteId)).toBe(false);
    expect(r.settledAt(4, nodes)).toBeGreaterThan(0);
  });
});
