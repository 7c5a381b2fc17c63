import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  defaultDetectorSettings,
  detectFailures,
  nodeStatusFor,
  planFailover,
  type DetectorSettings,
  type FailoverDecision,
  type HeartbeatObservation,
  type NodeHealth,
  type PeerProbe,
  type PlacementRef,
} from "../../../../server/domain/failure-detector";

const s: DetectorSettings = { suspectAfterMs: 1_500, probeMaxAgeMs: 3_000, holdDownMs: 30_000 };
const T0 = 1_000_000;

/** Runs one tick; `heard` maps a node to how long ago its last heartbeat was (null: never). */
function tick(now: number, heard: Record<string, number | null>, probes: PeerProbe[], previous: Record<string, NodeHealth> = {}) {
  const nodes: HeartbeatObservation[] = Object.entries(heard).map(([nodeId, ago]) => ({ nodeId, lastHeartbeatAt: ago === null ? null : now - ago }));
  return detectFailures({ now, nodes, probes, previous }, s);
}
const probe = (fromNodeId: string, toNodeId: string, reachable: boolean, at: number): PeerProbe => ({ fromNodeId, toNodeId, reachable, at });
const healthy = (since = 0): NodeHealth => ({ state: "HEALTHY", since, deadFlipAt: null });
const allHealthy = (...ids: string[]) => Object.fromEntries(ids.map((id) => [id, healthy()]));

describe("detectFailures", () => {
  it("HEALTHY while heard, SUSPECT after T1 of silence, DEAD once a majority of peers confirm", () => {
    const prev = allHealthy("a", "b", "c");
    let r = tick(T0, { a: 100, b: 100, c: 1_000 }, [], prev);
    expect(r.health.c!.state).toBe("HEALTHY");
    r = tick(T0, { a: 100, b: 100, c: 2_000 }, [], prev);
    expect(r.health.c!.state).toBe("SUSPECT");
    expect(r.transitions).toEqual([{ nodeId: "c", from: "HEALTHY", to: "SUSPECT", reason: "silent for 2.0 s" }]);
    expect(r.held.c).toMatch(/0 of 2 peers confirm/);
    // One of two peers is not a majority.
    r = tick(T0, { a: 100, b: 100, c: 2_000 }, [probe("a", "c", false, T0 - 500)], r.health);
    expect(r.health.c!.state).toBe("SUSPECT");
    r = tick(T0 + 500, { a: 100, b: 100, c: 2_500 }, [probe("a", "c", false, T0), probe("b", "c", false, T0 + 100)], r.health);
    expect(r.health.c!.state).toBe("DEAD");
    expect(r.newlyDead).toEqual(["c"]);
    expect(r.transitions[0]!.reason).toBe("silent for 2.5 s and unreachable for 2 of 2 peers");
    expect(nodeStatusFor(r.health.c!.state)).toBe("DEAD");
    expect(nodeStatusFor("SUSPECT")).toBe("DEGRADED");
  });

  it("a refused poll makes a node SUSPECT at once, and peers' probes in the same tick make it DEAD", () => {
    const nodes = (refusedAt: number | null): HeartbeatObservation[] => [
      { nodeId: "a", lastHeartbeatAt: T0 - 100 },
      { nodeId: "b", lastHeartbeatAt: T0 - 100 },
      { nodeId: "c", lastHeartbeatAt: T0 - 400, refusedAt },
    ];
    let r = detectFailures({ now: T0, nodes: nodes(T0 - 10), probes: [], previous: allHealthy("a", "b", "c") }, s);
    expect(r.health.c!.state).toBe("SUSPECT");
    expect(r.transitions[0]!.reason).toBe("its agent refuses connections, silent for 0.4 s");
    r = detectFailures({ now: T0, nodes: nodes(T0 - 10), probes: [probe("a", "c", false, T0 - 5), probe("b", "c", false, T0 - 5)], previous: allHealthy("a", "b", "c") }, s);
    expect(r.health.c!.state).toBe("DEAD");
    // A refusal older than the last heartbeat says nothing: the node answered since.
    r = detectFailures({ now: T0, nodes: nodes(T0 - 500), probes: [], previous: allHealthy("a", "b", "c") }, s);
    expect(r.health.c!.state).toBe("HEALTHY");
    // Refused, but its front door still answers the peers (only the agent crashed): not dead.
    r = detectFailures({ now: T0, nodes: nodes(T0 - 10), probes: [probe("a", "c", true, T0 - 5), probe("b", "c", true, T0 - 5)], previous: allHealthy("a", "b", "c") }, s);
    expect(r.health.c!.state).toBe("SUSPECT");
    expect(r.newlyDead).toEqual([]);
  });

  it("with two nodes the other one must confirm; with one node nothing is ever dead", () => {
    const r = tick(T0, { a: 100, b: 5_000 }, [probe("a", "b", false, T0 - 100)], allHealthy("a", "b"));
    expect(r.health.b!.state).toBe("DEAD");
    const alone = tick(T0, { a: 60_000 }, [], allHealthy("a"));
    expect(alone.health.a!.state).toBe("SUSPECT");
    expect(alone.held.a).toMatch(/no other node/);
  });

  it("a node the control plane cannot reach but its peers can is not dead (control-plane partition)", () => {
    const r = tick(T0, { a: 100, b: 100, c: 10_000 }, [probe("a", "c", true, T0 - 100), probe("b", "c", true, T0 - 200)], allHealthy("a", "b", "c"));
    expect(r.health.c!.state).toBe("SUSPECT");
    expect(r.held.c).toBe("2 of 2 peers reach it: the control plane is cut off from it, the node is not dead");
  });

  it("ignores probes from nodes the control plane does not hear, stale probes and probes older than the last heartbeat", () => {
    const prev = allHealthy("a", "b", "c", "d", "e");
    // d and e are silent too, so they are no witnesses: a and b are the reachable peers of c.
    const witnesses = [probe("d", "c", false, T0 - 100), probe("e", "c", false, T0 - 100)];
    expect(tick(T0, { a: 100, b: 100, c: 5_000, d: 5_000, e: 5_000 }, witnesses, prev).health.c!.state).toBe("SUSPECT");
    // Too old (beyond probeMaxAge) and from before c's last heartbeat: no evidence.
    const old = [probe("a", "c", false, T0 - 4_000), probe("b", "c", false, T0 - 2_500)];
    expect(tick(T0, { a: 100, b: 100, c: 2_000, d: 100, e: 100 }, old, prev).health.c!.state).toBe("SUSPECT");
    // The newest probe per peer wins.
    const changed = [probe("a", "c", false, T0 - 900), probe("a", "c", true, T0 - 100), probe("b", "c", false, T0 - 100), probe("d", "c", false, T0 - 100)];
    expect(tick(T0, { a: 100, b: 100, c: 2_000, d: 100, e: 100 }, changed, prev).health.c!.state).toBe("SUSPECT");
    changed.push(probe("e", "c", false, T0 - 50));
    expect(tick(T0, { a: 100, b: 100, c: 2_000, d: 100, e: 100 }, changed, prev).health.c!.state).toBe("DEAD");
  });

  it("declares nobody dead when the control plane hears fewer than half the nodes (it is the one cut off)", () => {
    const prev = allHealthy("a", "b", "c", "d", "e");
    const probes = ["b", "c", "d", "e"].map((n) => probe("a", n, false, T0 - 100));
    const r = tick(T0, { a: 100, b: 9_000, c: 9_000, d: 9_000, e: 9_000 }, probes, prev);
    expect(Object.values(r.health).filter((h) => h.state === "DEAD")).toEqual([]);
    expect(r.held.b).toMatch(/no quorum/);
  });

  it("a returning node rejoins after the hold-down, and a suspect one recovers at once", () => {
    const dead: NodeHealth = { state: "DEAD", since: T0, deadFlipAt: T0 };
    let r = tick(T0 + 5_000, { a: 100, b: 100 }, [], { a: healthy(), b: dead });
    expect(r.health.b).toEqual({ state: "DEAD", since: T0, deadFlipAt: T0 });
    expect(r.held.b).toMatch(/hold-down/);
    r = tick(T0 + s.holdDownMs, { a: 100, b: 100 }, [], r.health);
    expect(r.health.b!.state).toBe("HEALTHY");
    expect(r.rejoined).toEqual(["b"]);
    expect(r.transitions[0]!.reason).toBe("heartbeats resumed: rejoins as a replica");
    const suspect: NodeHealth = { state: "SUSPECT", since: T0, deadFlipAt: null };
    expect(tick(T0 + 10, { a: 100, b: 100 }, [], { a: healthy(), b: suspect }).health.b!.state).toBe("HEALTHY");
  });

  it("property: never DEAD without silence and a majority of reachable peers confirming", () => {
    const arbTick = fc.record({
      silent: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      probes: fc.array(fc.record({ from: fc.nat(4), to: fc.nat(4), reachable: fc.boolean(), age: fc.integer({ min: 0, max: 4_000 }) }), { maxLength: 12 }),
    });
    let deaths = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(arbTick, { minLength: 1, maxLength: 40 }), (n, ticks) => {
        const ids = Array.from({ length: n }, (_, i) => `n${i}`);
        const last: Record<string, number> = Object.fromEntries(ids.map((id) => [id, T0]));
        let previous: Record<string, NodeHealth> = {};
        ticks.forEach((t, k) => {
          const now = T0 + (k + 1) * 500;
          ids.forEach((id, i) => {
            if (!t.silent[i]) last[id] = now;
          });
          const nodes = ids.map((id) => ({ nodeId: id, lastHeartbeatAt: last[id]! }));
          const probes = t.probes.map((p) => probe(ids[p.from % n]!, ids[p.to % n]!, p.reachable, now - p.age));
          const r = detectFailures({ now, nodes, probes, previous }, s);
          for (const id of r.newlyDead) {
            deaths++;
            expect(now - last[id]!).toBeGreaterThan(s.suspectAfterMs);
            const peers = ids.filter((p) => p !== id && now - last[p]! <= s.suspectAfterMs);
            const confirming = peers.filter((p) => {
              const mine = probes.filter((q) => q.fromNodeId === p && q.toNodeId === id && q.at > last[id]! && now - q.at <= s.probeMaxAgeMs);
              const newest = mine.sort((a, b) => b.at - a.at)[0];
              return newest && !newest.reachable;
            });
            expect(peers.length).toBeGreaterThan(0);
            expect(confirming.length * 2).toBeGreaterThan(peers.length);
          }
          previous = r.health;
        });
      }),
      { numRuns: 300 },
    );
    // The generator does reach DEAD (the property is not vacuous).
    expect(deaths).toBeGreaterThan(0);
  });

  it("property: a flapping heartbeat flips DEAD no faster than the hold-down", () => {
    let repeatedFlips = 0;
    fc.assert(
      // Runs of heartbeats and silences, 1-40 s each: a link that flaps at every pace.
      fc.property(fc.array(fc.record({ up: fc.boolean(), secs: fc.integer({ min: 1, max: 40 }) }), { minLength: 2, maxLength: 30 }), (runs) => {
        const pattern = runs.flatMap((r) => Array<boolean>(r.secs).fill(r.up));
        // b's heartbeat comes and goes; a always answers and always confirms b unreachable while silent.
        let previous: Record<string, NodeHealth> = {};
        let lastB = T0;
        const flips: number[] = [];
        pattern.forEach((up, k) => {
          const now = T0 + (k + 1) * 1_000;
          if (up) lastB = now;
          const probes = up ? [] : [probe("a", "b", false, now)];
          const r = detectFailures({ now, nodes: [{ nodeId: "a", lastHeartbeatAt: now }, { nodeId: "b", lastHeartbeatAt: lastB }], probes, previous }, s);
          for (const t of r.transitions) if (t.nodeId === "b" && (t.to === "DEAD" || t.from === "DEAD")) flips.push(now);
          previous = r.health;
        });
        if (flips.length > 1) repeatedFlips++;
        for (let i = 1; i < flips.length; i++) expect(flips[i]! - flips[i - 1]!).toBeGreaterThanOrEqual(s.holdDownMs);
      }),
      { numRuns: 300 },
    );
    expect(repeatedFlips).toBeGreaterThan(0);
  });
});

/**
 * The placements after the decisions, as the worker's fence writes them: the fenced primary becomes a replica (its epoch is now below
 * the site's, so nothing it holds is served live again) and the chosen replica becomes PRIMARY
 * with the new epoch. A decision without a target changes nothing: with no copy to serve, the old
 * primary stays the record of where the site was, and its epoch will not be served by anyone else.
 */
function applyFailover(placements: readonly PlacementRef[], decisions: readonly FailoverDecision[]): PlacementRef[] {
  const bySite = new Map(decisions.filter((d) => d.toNodeId !== null).map((d) => [d.siteId, d]));
  return placements.map((p) => {
    const d = bySite.get(p.siteId);
    if (!d) return p;
    if (p.nodeId === d.toNodeId) return { ...p, role: "PRIMARY", epoch: d.epoch };
    if (p.role === "PRIMARY") return { ...p, role: "REPLICA" };
    return p;
  });
}

describe("planFailover / applyFailover", () => {
  const h = (state: NodeHealth["state"]): NodeHealth => ({ state, since: T0, deadFlipAt: null });

  it("fences the dead node's live sites and promotes the freshest healthy replica with epoch + 1", () => {
    const placements: PlacementRef[] = [
      { siteId: "shop", nodeId: "a", role: "PRIMARY", epoch: 3 },
      { siteId: "shop", nodeId: "b", role: "REPLICA", epoch: 2 },
      { siteId: "shop", nodeId: "c", role: "REPLICA", epoch: 1 },
      { siteId: "blog", nodeId: "b", role: "PRIMARY", epoch: 1 },
      { siteId: "blog", nodeId: "a", role: "REPLICA", epoch: 1 },
    ];
    const freshness = [
      { siteId: "shop", nodeId: "a", lastSnapshotAt: T0 },
      { siteId: "shop", nodeId: "b", lastSnapshotAt: T0 - 60_000 },
      { siteId: "shop", nodeId: "c", lastSnapshotAt: T0 - 2_000 },
    ];
    const health = { a: h("DEAD"), b: h("HEALTHY"), c: h("HEALTHY") };
    const decisions = planFailover(["a"], placements, freshness, health);
    expect(decisions).toEqual([
      {
        siteId: "shop",
        fromNodeId: "a",
        toNodeId: "c",
        epoch: 4,
        lagMs: 2_000,
        reason: "live node a is dead: promote the freshest replica on c (2.0 s behind the newest snapshot), of 2 healthy replicas",
      },
    ]);
    const after = applyFailover(placements, decisions);
    expect(after.filter((p) => p.siteId === "shop")).toEqual([
      { siteId: "shop", nodeId: "a", role: "REPLICA", epoch: 3 },
      { siteId: "shop", nodeId: "b", role: "REPLICA", epoch: 2 },
      { siteId: "shop", nodeId: "c", role: "PRIMARY", epoch: 4 },
    ]);
    // Idempotent: planning again over the new placements changes nothing.
    expect(planFailover(["a"], after, freshness, health)).toEqual([]);
  });

  it("never promotes onto a suspect or dead node; with no healthy copy the site stays down", () => {
    const placements: PlacementRef[] = [
      { siteId: "s", nodeId: "a", role: "PRIMARY", epoch: 1 },
      { siteId: "s", nodeId: "b", role: "REPLICA", epoch: 1 },
    ];
    const [d] = planFailover(["a"], placements, [], { a: h("DEAD"), b: h("SUSPECT") });
    expect(d).toMatchObject({ toNodeId: null, epoch: 2, lagMs: null });
    expect(applyFailover(placements, [d!])).toEqual(placements);
    expect(planFailover(["a"], placements, [], { a: h("DEAD"), b: h("HEALTHY") })[0]!.reason).toContain("replica lag unknown");
  });

  it("property: never two live placements, and a promoted primary has the highest epoch on a healthy node", () => {
    const arb = fc.record({
      nodes: fc.array(fc.constantFrom<NodeHealth["state"]>("HEALTHY", "SUSPECT", "DEAD"), { minLength: 1, maxLength: 6 }),
      sites: fc.array(fc.record({ primary: fc.nat(5), replicas: fc.uniqueArray(fc.nat(5), { maxLength: 4 }), epoch: fc.integer({ min: 1, max: 9 }) }), { maxLength: 20 }),
      snaps: fc.array(fc.record({ site: fc.nat(19), node: fc.nat(5), at: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }) }), { maxLength: 30 }),
    });
    fc.assert(
      fc.property(arb, ({ nodes, sites, snaps }) => {
        const ids = nodes.map((_, i) => `n${i}`);
        const health = Object.fromEntries(nodes.map((st, i) => [ids[i]!, h(st)]));
        const placements: PlacementRef[] = sites.flatMap((st, i) => {
          const primary = ids[st.primary % ids.length]!;
          const replicas = [...new Set(st.replicas.map((r) => ids[r % ids.length]!))].filter((r) => r !== primary);
          return [{ siteId: `s${i}`, nodeId: primary, role: "PRIMARY" as const, epoch: st.epoch }, ...replicas.map((r) => ({ siteId: `s${i}`, nodeId: r, role: "REPLICA" as const, epoch: st.epoch }))];
        });
        const freshness = snaps.map((x) => ({ siteId: `s${x.site}`, nodeId: ids[x.node % ids.length]!, lastSnapshotAt: x.at }));
        const dead = ids.filter((id) => health[id]!.state === "DEAD");
        const decisions = planFailover(dead, placements, freshness, health);
        const after = applyFailover(placements, decisions);
        for (let i = 0; i < sites.length; i++) {
          const mine = after.filter((p) => p.siteId === `s${i}`);
          expect(mine.filter((p) => p.role === "PRIMARY")).toHaveLength(1);
          const d = decisions.find((x) => x.siteId === `s${i}`);
          if (d?.toNodeId) {
            const primary = mine.find((p) => p.role === "PRIMARY")!;
            expect(primary.nodeId).toBe(d.toNodeId);
            expect(health[primary.nodeId]!.state).toBe("HEALTHY");
            for (const p of mine) if (p !== primary) expect(p.epoch).toBeLessThan(primary.epoch);
          }
        }
        expect(planFailover(dead, after, freshness, health).every((d) => d.toNodeId === null)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

it("the default settings suspect within two missed heartbeats and hold down for longer than a failover", () => {
  expect(defaultDetectorSettings.suspectAfterMs).toBeLessThanOrEqual(2_000);
  expect(defaultDetectorSettings.holdDownMs).toBeGreaterThan(defaultDetectorSettings.probeMaxAgeMs);
});
