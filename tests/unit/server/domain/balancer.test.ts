import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  defaultBalancerSettings,
  planMoves,
  validateBalancerSettings,
  type BalancerNode,
  type BalancerSettings,
  type BalancerSite,
} from "../../../../server/domain/balancer";

const now = new Date("2030-01-01T12:00:00Z");
const settings: BalancerSettings = { ...defaultBalancerSettings, maxMovesPerRound: 1 };

const node = (name: string, cpuPct: number | null, rates: Record<string, number> = {}, over: Partial<BalancerNode> = {}): BalancerNode => ({
  id: name,
  name,
  status: "HEALTHY",
  cores: 2,
  cpuPct,
  siteRequestsPerSec: rates,
  ...over,
});
const site = (id: string, liveNodeId: string, over: Partial<BalancerSite> = {}): BalancerSite => ({
  id,
  name: `${id}.test`,
  liveNodeId,
  pinnedNodeId: null,
  replicaNodeIds: [],
  lastMovedAt: null,
  ...over,
});

describe("planMoves", () => {
  it("moves the site that best closes the gap from a hot node to a cold one and says why", () => {
    // node-2 at 92%: shop carries 38 of 76 req/s, i.e. half of its 1.84 busy cores (0.92 cores).
    // Levelling with node-3 at 20% needs 0.72 cores: shop (0.92) is closer than blog (0.46).
    const nodes = [node("node-2", 92, { shop: 38, blog: 19, wiki: 19 }), node("node-3", 20)];
    const sites = [site("shop", "node-2"), site("blog", "node-2"), site("wiki", "node-2")];
    const plan = planMoves(nodes, sites, settings, now);
    expect(plan.moves).toHaveLength(1);
    const [m] = plan.moves;
    expect(m).toMatchObject({ siteId: "shop", fromNodeId: "node-2", toNodeId: "node-3", toReplica: false, requestsPerSec: 38 });
    expect(m!.reason).toBe("node-2 at 92% CPU, node-3 at 20%: move shop.test (38 req/s) to node-3; expected 46% and 66%");
    expect(m!.projected.source).toBeCloseTo(0.46);
    expect(m!.projected.target).toBeCloseTo(0.66);
  });

  it("does nothing while no node is hot, or when the hot node has no cold partner (the band between them)", () => {
    expect(planMoves([node("a", 79, { s: 10 }), node("b", 10)], [site("s", "a")], settings, now).moves).toEqual([]);
    const plan = planMoves([node("a", 90, { s: 10 }), node("b", 55)], [site("s", "a")], settings, now);
    expect(plan.moves).toEqual([]);
    expect(plan.notes).toEqual(["a at 90% CPU, but no healthy node is at or below 50%"]);
  });

  it("never moves a pinned site, a site in cool-down or a busy site", () => {
    const nodes = [node("a", 90, { pinned: 10, cooling: 10, moving: 10 }), node("b", 10)];
    const sites = [
      site("pinned", "a", { pinnedNodeId: "a" }),
      site("cooling", "a", { lastMovedAt: new Date(now.getTime() - settings.coolDownMs + 1000) }),
      site("moving", "a", { busy: true }),
    ];
    const plan = planMoves(nodes, sites, settings, now);
    expect(plan.moves).toEqual([]);
    expect(plan.notes[0]).toContain("pinned, cooling down or already moving");
    // Once the cool-down is over the site may go.
    sites[1] = site("cooling", "a", { lastMovedAt: new Date(now.getTime() - settings.coolDownMs) });
    expect(planMoves(nodes, sites, settings, now).moves.map((m) => m.siteId)).toEqual(["cooling"]);
  });

  it("never moves to an unhealthy node or one without a known load, nor from an unhealthy one", () => {
    const sites = [site("s", "a"), site("t", "a")];
    for (const status of ["DEGRADED", "DEAD", "DRAINING", "PENDING"]) {
      expect(planMoves([node("a", 95, { s: 5, t: 5 }), node("b", 5, {}, { status })], sites, settings, now).moves).toEqual([]);
      expect(planMoves([node("a", 95, { s: 5, t: 5 }, { status }), node("b", 5)], sites, settings, now).moves).toEqual([]);
    }
    expect(planMoves([node("a", 95, { s: 5, t: 5 }), node("b", null)], sites, settings, now).moves).toEqual([]);
  });

  it("prefers a target that already holds a replica of the site", () => {
    const nodes = [node("a", 90, { s: 10, t: 10 }), node("b", 10), node("c", 10)];
    const plan = planMoves(nodes, [site("s", "a"), site("t", "a", { replicaNodeIds: ["c"] })], settings, now);
    expect(plan.moves).toMatchObject([{ siteId: "t", toNodeId: "c", toReplica: true }]);
    expect(plan.moves[0]!.reason).toContain("(already a replica)");
  });

  it("never makes the target hotter than the source was, nor pushes it past the hot line minus the band", () => {
    // One site carries all the load: moving it only moves the problem.
    expect(planMoves([node("a", 90, { s: 50 }), node("b", 40)], [site("s", "a")], settings, now).moves).toEqual([]);
    // A target with fewer cores: 0.9 busy cores onto 1 core would put it at 90% + 20%.
    expect(planMoves([node("a", 90, { s: 25, t: 25 }), node("b", 20, {}, { cores: 1 })], [site("s", "a"), site("t", "a")], settings, now).moves).toEqual([]);
  });

  it("refuses moves that improve the peak by less than the minimum", () => {
    // Ten tiny sites: the hot node is at 81%, and one move lowers it by 8 points.
    const rates = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`s${i}`, 1]));
    const sites = Object.keys(rates).map((id) => site(id, "a"));
    const nodes = [node("a", 81, rates), node("b", 40)];
    expect(planMoves(nodes, sites, { ...settings, minImprovement: 0.09 }, now).moves).toEqual([]);
    expect(planMoves(nodes, sites, { ...settings, minImprovement: 0.05 }, now).moves).toHaveLength(1);
  });

  it("spends at most the budget per round, each move seeing the previous ones", () => {
    // Eight sites of a quarter core each on a saturated 2-core node.
    const rates = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`s${i}`, 10]));
    const nodes = [node("a", 100, rates), node("b", 0), node("c", 0)];
    const sites = Object.keys(rates).map((id) => site(id, "a"));
    const plan = planMoves(nodes, sites, { ...settings, maxMovesPerRound: 2 }, now);
    expect(plan.moves).toHaveLength(2);
    expect(new Set(plan.moves.map((m) => m.siteId)).size).toBe(2);
    expect(plan.moves[0]!.projected.source).toBeCloseTo(0.875);
    expect(plan.moves[1]!.projected.source).toBeCloseTo(0.75);
    // At 75% the source is no longer hot: a budget of 5 still makes 2 moves.
    expect(planMoves(nodes, sites, { ...settings, maxMovesPerRound: 5 }, now).moves).toHaveLength(2);
    expect(planMoves(nodes, sites, { ...settings, maxMovesPerRound: 0 }, now).moves).toEqual([]);
  });

  it("a node that gave a site this round takes none in the same round", () => {
    // a gives shop to the 4-core b and drops to 11%, "cold"; c is hot next. Levelling c with a
    // would fit best, but a's new figure is an estimate nobody has measured: c's site goes to b.
    const nodes = [node("a", 90, { shop: 70, blog: 10 }), node("b", 0, {}, { cores: 4 }), node("c", 85, { t1: 10, t2: 10 })];
    const sites = [site("shop", "a"), site("blog", "a"), site("t1", "c"), site("t2", "c")];
    const plan = planMoves(nodes, sites, { ...settings, maxMovesPerRound: 3 }, now);
    expect(plan.moves.map((m) => [m.siteId, m.fromNodeId, m.toNodeId])).toEqual([
      ["shop", "a", "b"],
      ["t1", "c", "b"],
    ]);
    expect(plan.moves[0]!.projected.source).toBeCloseTo(0.1125);
  });

  it("rejects settings without room for the band", () => {
    expect(validateBalancerSettings(defaultBalancerSettings)).toBeNull();
    expect(validateBalancerSettings({ ...defaultBalancerSettings, coldThreshold: 0.75 })).toMatch(/band/);
    expect(() => planMoves([], [], { ...defaultBalancerSettings, hotThreshold: 1.5 }, now)).toThrow(/settings/);
  });

  it("property: every move is from a hot to a cold healthy node, unpinned, cooled down, within budget, and leaves the target cooler than the source was", () => {
    const arbNode = fc.record({
      cpuPct: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
      cores: fc.integer({ min: 1, max: 8 }),
      status: fc.constantFrom("HEALTHY", "HEALTHY", "HEALTHY", "DEGRADED", "DEAD"),
    });
    const arbSite = fc.record({
      node: fc.nat(5),
      rate: fc.integer({ min: 0, max: 100 }),
      pinned: fc.boolean(),
      movedAgoMs: fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: null }),
      replica: fc.nat(5),
    });
    fc.assert(
      fc.property(fc.array(arbNode, { minLength: 1, maxLength: 6 }), fc.array(arbSite, { maxLength: 30 }), fc.integer({ min: 0, max: 4 }), (ns, ss, budget) => {
        const ids = ns.map((_, i) => `n${i}`);
        const sites = ss.map((s, i) => site(`s${i}`, ids[s.node % ids.length]!, {
          pinnedNodeId: s.pinned ? ids[s.node % ids.length]! : null,
          lastMovedAt: s.movedAgoMs === null ? null : new Date(now.getTime() - s.movedAgoMs),
          replicaNodeIds: [ids[s.replica % ids.length]!],
        }));
        const nodes = ns.map((n, i) => {
          const rates: Record<string, number> = {};
          sites.forEach((st, j) => {
            if (st.liveNodeId === ids[i] && ss[j]!.rate > 0) rates[st.id] = ss[j]!.rate;
          });
          return node(ids[i]!, n.cpuPct, rates, { cores: n.cores, status: n.status });
        });
        const s = { ...defaultBalancerSettings, maxMovesPerRound: budget };
        const plan = planMoves(nodes, sites, s, now);
        expect(plan.moves.length).toBeLessThanOrEqual(budget);
        expect(new Set(plan.moves.map((m) => m.siteId)).size).toBe(plan.moves.length);
        for (const m of plan.moves) {
          const from = nodes.find((n) => n.id === m.fromNodeId)!;
          const to = nodes.find((n) => n.id === m.toNodeId)!;
          const st = sites.find((x) => x.id === m.siteId)!;
          expect(from.status).toBe("HEALTHY");
          expect(to.status).toBe("HEALTHY");
          expect(from.cpuPct! / 100).toBeGreaterThanOrEqual(s.hotThreshold);
          expect(to.cpuPct! / 100).toBeLessThanOrEqual(s.coldThreshold);
          expect(st.pinnedNodeId).toBeNull();
          expect(st.lastMovedAt === null || now.getTime() - st.lastMovedAt.getTime() >= s.coolDownMs).toBe(true);
          expect(m.projected.target).toBeLessThan(from.cpuPct! / 100);
          expect(m.projected.target).toBeLessThanOrEqual(s.hotThreshold - s.hysteresisBand + 1e-9);
        }
      }),
      { numRuns: 300 },
    );
  });
});
