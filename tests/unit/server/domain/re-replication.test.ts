import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  caughtUpWithinMs,
  planReReplication,
  reReplicaReason,
  replacedNodeNames,
  type ReplicationInput,
  type ReplicationNode,
  type ReplicationSite,
} from "../../../../server/domain/re-replication";
import { candidate } from "./placement-candidate";

const now = 10_000_000;
const grace = 60_000;

const node = (name: string, over: Partial<ReplicationNode> = {}): ReplicationNode => ({ ...candidate(name), healthSince: 0, ...over });

const dead = (name: string, deadForMs: number) => node(name, { status: "DEAD", healthSince: now - deadForMs });

/** A site live on `live`, with replicas on `replicas` (a replica given as [name, reason] carries a reason). */
function site(id: string, live: string, replicas: (string | [string, string])[], over: Partial<ReplicationSite> = {}): ReplicationSite {
  const reps = replicas.map((r) => (typeof r === "string" ? { name: r, reason: null } : { name: r[0], reason: r[1] }));
  return {
    siteId: id,
    copies: 2,
    cadenceMs: 60_000,
    sizeMb: 100,
    busy: false,
    placements: [{ nodeId: `id-${live}`, role: "PRIMARY", reason: null }, ...reps.map((r) => ({ nodeId: `id-${r.name}`, role: "REPLICA" as const, reason: r.reason }))],
    lagMs: Object.fromEntries([[`id-${live}`, 0], ...reps.map((r) => [`id-${r.name}`, 0])]),
    pinnedOn: [],
    ...over,
  };
}

const input = (nodes: ReplicationNode[], sites: ReplicationSite[], over: Partial<ReplicationInput> = {}): ReplicationInput => ({
  now,
  graceMs: grace,
  budget: 3,
  perNode: 2,
  inFlight: [],
  nodes,
  sites,
  ...over,
});

describe("re-replica reasons", () => {
  it("name the nodes stood in for, and only a re-replica's reason parses", () => {
    const reason = reReplicaReason(["n1", "n2"], "most headroom on n3: 90%");
    expect(reason).toBe("re-replica (for n1, n2): most headroom on n3: 90%");
    expect(replacedNodeNames(reason)).toEqual(["n1", "n2"]);
    expect(replacedNodeNames(reReplicaReason([], "most headroom"))).toEqual([]);
    expect(replacedNodeNames("replica: most headroom on n3")).toBeNull();
    expect(replacedNodeNames("fenced at epoch 3: n1 died")).toBeNull();
    expect(replacedNodeNames(null)).toBeNull();
  });
});

describe("planReReplication: sites short of copies", () => {
  it("a site whose live node died and failed over gets a replica on the third node after the grace", () => {
    // n1 died; the site now runs on n2 (its former replica) and n1 holds the fenced copy.
    const nodes = [dead("n1", grace + 1), node("n2"), node("n3")];
    const plan = planReReplication(input(nodes, [site("s", "n2", ["n1"])]));
    expect(plan.add).toEqual([expect.objectContaining({ siteId: "s", nodeId: "id-n3", lostNodeNames: ["n1"] })]);
    expect(replacedNodeNames(plan.add[0]!.reason)).toEqual(["n1"]);
    expect(plan.release).toEqual([]);
  });

  it("waits out the grace: a node down for less may be rebooting", () => {
    const plan = planReReplication(input([dead("n1", grace - 1_000), node("n2"), node("n3")], [site("s", "n2", ["n1"])]));
    expect(plan.add).toEqual([]);
    expect(plan.waiting).toEqual([{ siteId: "s", reason: `n1 down since ${new Date(now - grace + 1_000).toISOString()}; a new copy 60 s after` }]);
    // The same words next round, so the worker's log says it once.
    expect(planReReplication(input([dead("n1", grace - 1_000), node("n2"), node("n3")], [site("s", "n2", ["n1"])], { now: now + 500 })).waiting).toEqual(plan.waiting);
  });

  it("a site whose replica node died gets a new one; a PENDING node's copy does not count either", () => {
    const plan = planReReplication(input([node("n1"), dead("n2", grace * 2), node("n3"), node("n4", { status: "PENDING" })], [site("s", "n1", ["n2"])]));
    expect(plan.add.map((a) => a.nodeName)).toEqual(["n3"]);
  });

  it("never two copies on one node, not beside the dead node's copy either; says so when nothing is left", () => {
    const plan = planReReplication(input([dead("n1", grace * 2), node("n2"), node("n3")], [site("s", "n2", ["n1", "n3"], { copies: 3 })]));
    expect(plan.add).toEqual([]);
    expect(plan.waiting[0]?.reason).toMatch(/every healthy node already holds it/);
  });

  it("only HEALTHY nodes take a copy, ranked by headroom", () => {
    const nodes = [dead("n1", grace * 2), node("n2"), node("n3", { status: "DEGRADED" }), node("n4", { status: "DRAINING" }), node("n5", { siteCount: 80 }), node("n6", { siteCount: 10 })];
    const plan = planReReplication(input(nodes, [site("s", "n2", ["n1"])]));
    expect(plan.add.map((a) => a.nodeName)).toEqual(["n6"]);
  });

  it("leaves a site alone while an operation runs on it, or while its live node is not healthy", () => {
    const nodes = [dead("n1", grace * 2), node("n2"), node("n3", { status: "DEGRADED" }), node("n4")];
    const plan = planReReplication(input(nodes, [site("busy", "n2", ["n1"], { busy: true }), site("failing-over", "n1", ["n2"]), site("suspect-live", "n3", ["n1"])]));
    expect(plan.add).toEqual([]);
    expect(Object.fromEntries(plan.waiting.map((w) => [w.siteId, w.reason]))).toEqual({
      busy: "an operation is running on the site",
      "failing-over": "its live node n1 is DEAD",
      "suspect-live": "its live node n3 is DEGRADED",
    });
  });

  it("a site that never had enough copies (no node was free) gets them at once, no grace", () => {
    const plan = planReReplication(input([node("n1"), node("n2")], [site("s", "n1", [])]));
    expect(plan.add).toEqual([expect.objectContaining({ nodeId: "id-n2", lostNodeNames: [] })]);
  });

  it("copies = 3 with both replicas lost: two new ones, on different nodes", () => {
    const nodes = [node("n1"), dead("n2", grace * 2), dead("n3", grace * 2), node("n4"), node("n5")];
    const plan = planReReplication(input(nodes, [site("s", "n1", ["n2", "n3"], { copies: 3 })]));
    expect(plan.add.map((a) => a.nodeName).sort()).toEqual(["n4", "n5"]);
  });

  it("budget: at most `budget` seeds in flight (those running count), the longest-waiting first", () => {
    const nodes = [dead("n0", grace * 5), dead("n1", grace * 2), node("n2"), node("n3"), node("n4"), node("n5"), node("n6")];
    const sites = ["a", "b", "c", "d", "e"].map((id) => site(id, "n2", ["n1"]));
    sites.push(site("z", "n2", ["n0"]));
    const plan = planReReplication(input(nodes, sites, { budget: 3, inFlight: ["id-n6"] }));
    expect(plan.add.map((a) => a.siteId)).toEqual(["z", "a"]);
    expect(plan.waiting.filter((w) => /already being copied/.test(w.reason)).map((w) => w.siteId)).toEqual(["b", "c", "d", "e"]);
  });

  it("spreads one round's new replicas over the nodes, at most `perNode` onto one", () => {
    const nodes = [dead("n1", grace * 2), node("n2"), node("n3"), node("n4")];
    const sites = ["a", "b", "c", "d"].map((id) => site(id, "n2", ["n1"], { sizeMb: 5_000 }));
    const plan = planReReplication(input(nodes, sites, { budget: 10, perNode: 1 }));
    expect(plan.add.map((a) => a.nodeName).sort()).toEqual(["n3", "n4"]);
    expect(plan.waiting.map((w) => w.siteId)).toEqual(["c", "d"]);
  });

  it("property: never a copy on a node that holds the site or is not HEALTHY, never over budget, never beyond the plan", () => {
    const statuses = ["HEALTHY", "HEALTHY", "DEGRADED", "DEAD", "PENDING", "DRAINING"] as const;
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...statuses), { minLength: 2, maxLength: 7 }),
        fc.array(fc.record({ live: fc.nat(6), replicas: fc.uniqueArray(fc.nat(6), { maxLength: 3 }), copies: fc.integer({ min: 1, max: 4 }), busy: fc.boolean() }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.nat(6), { maxLength: 4 }),
        (st, raw, budget, inFlightIdx) => {
          const nodes = st.map((status, i) => node(`n${i}`, { status, healthSince: status === "DEAD" ? now - grace * 2 : 0 }));
          const sites = raw.map((r, i) => {
            const live = `n${r.live % nodes.length}`;
            const reps = [...new Set(r.replicas.map((x) => `n${x % nodes.length}`))].filter((n) => n !== live);
            return site(`s${i}`, live, reps, { copies: r.copies, busy: r.busy });
          });
          const inFlight = inFlightIdx.map((x) => `id-n${x % nodes.length}`);
          const plan = planReReplication(input(nodes, sites, { budget, inFlight }));
          expect(plan.add.length).toBeLessThanOrEqual(Math.max(0, budget - inFlight.length));
          const status = new Map(nodes.map((n) => [n.id, n.status]));
          const added = new Map<string, string[]>();
          for (const a of plan.add) added.set(a.siteId, [...(added.get(a.siteId) ?? []), a.nodeId]);
          for (const s of sites) {
            const mine = added.get(s.siteId) ?? [];
            for (const id of mine) expect(status.get(id)).toBe("HEALTHY");
            const all = [...s.placements.map((p) => p.nodeId), ...mine];
            expect(new Set(all).size).toBe(all.length);
            const counted = all.filter((id) => !["DEAD", "PENDING"].includes(status.get(id)!));
            if (mine.length) expect(counted.length).toBeLessThanOrEqual(s.copies);
            if (s.busy) expect(mine).toEqual([]);
          }
        },
      ),
    );
  });
});

describe("planReReplication: a returning node beside its stand-in", () => {
  // n1 was live and died; n2 took over; n3 got a re-replica standing in for n1; n1 is back.
  const nodes = [node("n1"), node("n2"), node("n3")];
  const standIn: [string, string] = ["n3", reReplicaReason(["n1"], "most headroom on n3")];
  const fresh = 0;
  const stale = caughtUpWithinMs(60_000) + 1;

  it("the returning node holds a DIVERGENT copy: it is kept; the stand-in goes once the returning node has caught up", () => {
    const behind = site("s", "n2", ["n1", standIn], { pinnedOn: ["id-n1"], lagMs: { "id-n2": 0, "id-n1": stale, "id-n3": fresh } });
    const waiting = planReReplication(input(nodes, [behind]));
    expect(waiting.release).toEqual([]);
    expect(waiting.waiting[0]?.reason).toMatch(/one copy too many \(n1 is back beside its stand-in n3\); waiting for n1 to catch up/);

    const current = site("s", "n2", ["n1", standIn], { pinnedOn: ["id-n1"], lagMs: { "id-n2": 0, "id-n1": fresh, "id-n3": fresh } });
    const plan = planReReplication(input(nodes, [current]));
    expect(plan.release).toEqual([expect.objectContaining({ siteId: "s", nodeId: "id-n3", standInNodeId: "id-n3" })]);
  });

  it("a returning node without changes of its own and behind is released; the current stand-in stays", () => {
    const plan = planReReplication(input(nodes, [site("s", "n2", ["n1", standIn], { lagMs: { "id-n2": 0, "id-n1": stale, "id-n3": fresh } })]));
    expect(plan.release).toEqual([expect.objectContaining({ nodeId: "id-n1", standInNodeId: "id-n3" })]);
  });

  it("both caught up: the stand-in goes and the plan's original placement stays", () => {
    const plan = planReReplication(input(nodes, [site("s", "n2", ["n1", standIn])]));
    expect(plan.release.map((r) => r.nodeName)).toEqual(["n3"]);
  });

  it("never the live copy: the stand-in that became live keeps its copy, and so does the returning node when it is the only other", () => {
    // n2 died later too and n3 (the stand-in) was promoted; with n2 dead, n1 + n3 are exactly the plan.
    const promoted = { ...site("s", "n3", ["n1"], { lagMs: { "id-n3": 0, "id-n1": fresh } }) };
    promoted.placements = [
      { nodeId: "id-n3", role: "PRIMARY", reason: standIn[1] },
      { nodeId: "id-n1", role: "REPLICA", reason: null },
      { nodeId: "id-n2", role: "REPLICA", reason: null },
    ];
    const plan = planReReplication(input([node("n1"), dead("n2", grace * 2), node("n3")], [promoted]));
    expect(plan.release).toEqual([]);
    expect(plan.add).toEqual([]);
  });

  it("both pinned: nothing is released, and it says why", () => {
    const plan = planReReplication(input(nodes, [site("s", "n2", ["n1", standIn], { pinnedOn: ["id-n1", "id-n3"] })]));
    expect(plan.release).toEqual([]);
    expect(plan.waiting[0]?.reason).toMatch(/never released/);
  });

  it("a surplus that is not a returning node's (a move's former source stays a replica) is not touched", () => {
    const plan = planReReplication(input(nodes, [site("s", "n2", ["n1", "n3"])]));
    expect(plan.release).toEqual([]);
    expect(plan.waiting).toEqual([]);
  });

  it("not while the stand-in's own seed or another operation runs", () => {
    const plan = planReReplication(input(nodes, [site("s", "n2", ["n1", standIn], { busy: true })]));
    expect(plan.release).toEqual([]);
  });

  it("property: a release never takes the live copy, a pinned copy, or the caught-up copies below the plan", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 3 }), (pin1, pin3, stale1, stale3, copies) => {
        const s = site("s", "n2", ["n1", standIn], {
          copies,
          pinnedOn: [...(pin1 ? ["id-n1"] : []), ...(pin3 ? ["id-n3"] : [])],
          lagMs: { "id-n2": 0, "id-n1": stale1 ? stale : fresh, "id-n3": stale3 ? stale : fresh },
        });
        const plan = planReReplication(input(nodes, [s]));
        expect(plan.release.length).toBeLessThanOrEqual(Math.max(0, 3 - copies));
        for (const r of plan.release) {
          expect(r.nodeId).not.toBe("id-n2");
          expect(s.pinnedOn).not.toContain(r.nodeId);
          const left = ["id-n1", "id-n2", "id-n3"].filter((id) => id !== r.nodeId && (s.lagMs[id] ?? Infinity) <= caughtUpWithinMs(s.cadenceMs));
          expect(left.length).toBeGreaterThanOrEqual(copies);
        }
      }),
    );
  });
});
