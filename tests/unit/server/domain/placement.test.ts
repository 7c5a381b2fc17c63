import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chooseNode, headroom } from "../../../../server/domain/placement";
import { candidate } from "./placement-candidate";

const node = candidate;

describe("chooseNode", () => {
  it("picks the node with the most headroom on its tightest axis and says why", () => {
    const d = chooseNode([node("a", { siteCount: 50 }), node("b", { siteCount: 10, load1: 1.8 }), node("c", { siteCount: 20 })]);
    expect(d).toMatchObject({ ok: true, nodeName: "c" });
    if (d.ok) expect(d.reason).toMatch(/most headroom on c: 80% \(sites 20\/100/);
  });

  it("never places on a node that is not healthy or is full", () => {
    const d = chooseNode([node("a", { status: "DEAD" }), node("b", { status: "DRAINING" }), node("c", { siteCount: 100 }), node("d", { siteCount: 99 })]);
    expect(d).toMatchObject({ ok: true, nodeName: "d" });
  });

  it("explains an impossible placement", () => {
    expect(chooseNode([])).toEqual({ ok: false, reason: "No node can take the site: no nodes are registered." });
    expect(chooseNode([node("a", { status: "DEAD" })])).toEqual({ ok: false, reason: "No node can take the site: no node is healthy." });
    expect(chooseNode([node("a", { siteCount: 100 })])).toEqual({ ok: false, reason: "No node can take the site: every healthy node is full." });
  });

  it("honours an admin's pin while the pinned node is healthy", () => {
    expect(chooseNode([node("a"), node("b", { siteCount: 90 })], { pinnedNodeId: "id-b" })).toMatchObject({ ok: true, nodeName: "b" });
    expect(chooseNode([node("a"), node("b", { status: "DEAD" })], { pinnedNodeId: "id-b" })).toMatchObject({ ok: true, nodeName: "a" });
  });

  it("breaks ties by fewer sites, then by name, so the choice is deterministic", () => {
    expect(chooseNode([node("b"), node("a")])).toMatchObject({ nodeName: "a" });
  });

  it("always returns a healthy, non-full node with maximal headroom when one exists (property)", () => {
    const candidate = fc.record({
      name: fc.stringMatching(/^[a-z]{1,6}$/),
      status: fc.constantFrom("HEALTHY", "DEGRADED", "DEAD", "PENDING", "DRAINING"),
      capacitySites: fc.integer({ min: 1, max: 500 }),
      capacityDiskMb: fc.integer({ min: 1, max: 10_000 }),
      capacityCpus: fc.integer({ min: 1, max: 64 }),
      siteCount: fc.integer({ min: 0, max: 600 }),
      diskUsedMb: fc.integer({ min: 0, max: 12_000 }),
      load1: fc.double({ min: 0, max: 100, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(candidate, { maxLength: 12 }), (raw) => {
        const nodes = raw.map((n, i) => ({ ...n, id: `n${i}` }));
        const d = chooseNode(nodes);
        const eligible = nodes.filter((n) => n.status === "HEALTHY" && n.siteCount < n.capacitySites);
        if (eligible.length === 0) return !d.ok;
        if (!d.ok) return false;
        const chosen = nodes.find((n) => n.id === d.nodeId)!;
        return eligible.includes(chosen) && eligible.every((n) => headroom(n).score <= headroom(chosen).score);
      }),
    );
  });
});
