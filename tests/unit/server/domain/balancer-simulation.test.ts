import { describe, expect, it } from "vitest";
import { defaultBalancerSettings, planMoves, type BalancerMove, type BalancerNode, type BalancerSettings, type BalancerSite } from "../../../../server/domain/balancer";
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
