import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { defaultBalancerSettings } from "../../../server/domain/balancer";
import { moveStepKinds } from "../../../server/domain/operation-kinds";
import { balanceTick } from "../../../worker/control/balance";
import { makeCustomer, makeWorld } from "../../helpers/fixtures";
import { SimulatedNodes, type SimulatedMove } from "../../helpers/simulated-nodes";

// The balancer's round against real Postgres, over 90 minutes of simulated time (a round every
// 15 s), on SIMULATED nodes (tests/helpers/simulated-nodes.ts: heartbeats written into
// Node.metrics, moves finished in Postgres 30 s after they start; no agents). Four 2-core nodes
// with five sites each. For the first 45 minutes the sites that started on node A get four times
// the traffic (A near 85% CPU, the others near 25%); then the load shifts: A's sites calm down and
// the sites that started on B get five and a half times it instead (B saturated). One of A's busy sites is pinned to A; one of C's is
// pinned to D. The run must end balanced with a bounded number of moves, within the budgets and
// cool-downs, without flapping, and with the pins honoured.

const settings = defaultBalancerSettings;
const roundMs = 15_000;
const rounds = 360;
const shiftRound = rounds / 2;
const moveDurationMs = 30_000;
const tag = randomBytes(3).toString("hex");

let sim: SimulatedNodes;
const origin = new Map<string, string>(); // host → the node it started on
const hosts: string[] = [];
let pinnedHere: string;
let pinnedElsewhere: string;
const logs: string[] = [];
const log = (line: string) => logs.push(line);
const start = new Date();
const at = (round: number) => new Date(start.getTime() + round * roundMs);
// A's busy sites put it near 85%; B's, after the shift, past what B can serve (saturated at 100%,
// so its CPU under-reports them: the harder case for the estimate).
const rateOf = (round: number) => (host: string) => {
  if (round < shiftRound) return origin.get(host) === "A" ? 32 : 8;
  return origin.get(host) === "B" ? 44 : 8;
};

beforeAll(async () => {
  const w = await makeWorld();
  const { account } = await makeCustomer(w.resellerA.id);
  sim = new SimulatedNodes(db, { baselinePct: 5, cpuSecondsPerRequest: 0.01, noisePct: 3, seed: 4 });
  await sim.addNodes(["A", "B", "C", "D"].map((name) => ({ name, cores: 2 })), tag);
  const names = ["A", "B", "C", "D"];
  for (const [i, node] of names.entries()) {
    for (let k = 0; k < 5; k++) {
      const host = `${node.toLowerCase()}${k}-${tag}.bal.test`;
      await sim.addSite(account.id, host, node, names[(i + 1) % names.length]!);
      origin.set(host, node);
      hosts.push(host);
    }
  }
  const siteOf = async (host: string) => (await db.site.findFirstOrThrow({ where: { domain: { name: host } }, select: { id: true } })).id;
  pinnedHere = await siteOf(`a0-${tag}.bal.test`);
  pinnedElsewhere = await siteOf(`c0-${tag}.bal.test`);
  await db.site.update({ where: { id: pinnedHere }, data: { pinnedNodeId: sim.nodeId("A") } });
  await db.site.update({ where: { id: pinnedElsewhere }, data: { pinnedNodeId: sim.nodeId("D") } });
});

describe("balancer round on simulated nodes", () => {
  it("plans but starts nothing in dry-run, and does nothing when off", async () => {
    await sim.heartbeat(at(0), rateOf(0));
    const dry = await balanceTick({ db, mode: "dry-run", log, now: () => at(0) });
    expect(dry.plan.moves.length).toBeGreaterThan(0);
    expect(dry.started).toEqual([]);
    expect(logs.some((l) => l.startsWith("balancer (dry run, nothing started): "))).toBe(true);
    const off = await balanceTick({ db, mode: "off", log, now: () => at(0) });
    expect(off.plan.moves).toEqual([]);
    expect(await db.operation.count({ where: { kind: "site.move" } })).toBe(0);
  });

  it("a load shift from node A to node B causes a bounded number of moves, within budget and cool-down, no flapping, pins honoured", { timeout: 240_000 }, async () => {
    const nodeName = new Map([...sim.nodes.entries()].map(([short, n]) => [n.id, short]));
    const startedByRound: Array<Array<{ siteId: string; reason: string }>> = [];
    const memo = {};
    for (let round = 0; round < rounds; round++) {
      const now = at(round);
      await sim.heartbeat(now, rateOf(round));
      const r = await balanceTick({ db, mode: "on", log, now: () => now, memo });
      expect(r.refused).toEqual([]);
      startedByRound.push(r.started);
      await sim.completeMoves(now, moveDurationMs);
    }
    // Let the last moves finish.
    await sim.completeMoves(at(rounds + 10), 0);

    const moves: SimulatedMove[] = sim.moves;
    const started = startedByRound.flat();
    const line = (m: SimulatedMove) => `${m.name.split("-")[0]} ${nodeName.get(m.fromNodeId)}→${nodeName.get(m.toNodeId)} at ${Math.round((m.at.getTime() - start.getTime()) / 60_000)} min`;
    console.log(`balancer on simulated nodes: ${moves.length} moves in ${rounds} rounds: ${moves.map(line).join(", ")}`);
    for (const s of started) console.log(`  ${s.reason}`);
    expect(moves.length).toBe(started.length);

    // The balancer reacted to both phases, and a handful of moves settled each (five busy sites
    // on one node; a move a round would be flapping).
    const before = moves.filter((m) => m.at < at(shiftRound));
    const after = moves.filter((m) => m.at >= at(shiftRound));
    expect(before.filter((m) => m.siteId !== pinnedElsewhere).length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(moves.length).toBeLessThanOrEqual(10);
    // Settled well before the end of each phase, and silent afterwards.
    const lastMoveRound = (from: number, to: number) => startedByRound.slice(from, to).reduce((last, ms, i) => (ms.length ? from + i : last), -1);
    expect(lastMoveRound(0, shiftRound)).toBeLessThan(shiftRound - 60);
    expect(lastMoveRound(shiftRound, rounds)).toBeLessThan(rounds - 60);

    // Budgets: per round, and per sliding window over every start.
    for (const ms of startedByRound) expect(ms.length).toBeLessThanOrEqual(settings.maxMovesPerRound);
    const starts = (await db.operation.findMany({ where: { kind: "site.move" }, orderBy: { createdAt: "asc" }, select: { createdAt: true, finishedAt: true, targetId: true } })).map((o) => o);
    for (const s of starts) {
      const inWindow = starts.filter((o) => o.createdAt.getTime() >= s.createdAt.getTime() && o.createdAt.getTime() < s.createdAt.getTime() + settings.budgetWindowMs).length;
      expect(inWindow).toBeLessThanOrEqual(settings.maxMovesPerWindow);
    }
    // One move at a time per node: no two moves that share a node overlap in time.
    const spans = moves.map((m) => {
      const op = starts.find((o) => o.targetId === m.siteId && o.finishedAt?.getTime() === m.at.getTime())!;
      return { ...m, from: op.createdAt.getTime(), to: m.at.getTime() };
    });
    for (const [i, a] of spans.entries()) {
      for (const b of spans.slice(i + 1)) {
        const shareNode = [a.fromNodeId, a.toNodeId].some((n) => n === b.fromNodeId || n === b.toNodeId);
        if (shareNode) expect(a.to <= b.from || b.to <= a.from).toBe(true);
      }
    }

    // Cool-down and no flapping: a site moves again only after the cool-down, never twice in one
    // phase of steady load, and never back to a node it left.
    const bySite = new Map<string, typeof spans>();
    for (const s of spans) bySite.set(s.siteId, [...(bySite.get(s.siteId) ?? []), s]);
    for (const hops of bySite.values()) {
      expect(hops.length).toBeLessThanOrEqual(2);
      for (let k = 1; k < hops.length; k++) {
        expect(hops[k]!.from - hops[k - 1]!.from).toBeGreaterThanOrEqual(settings.coolDownMs);
        expect(hops[k]!.from < at(shiftRound).getTime()).not.toBe(hops[k - 1]!.from < at(shiftRound).getTime());
        expect(hops.slice(0, k).some((h) => h.fromNodeId === hops[k]!.toNodeId)).toBe(false);
      }
    }

    // Pins: the site pinned to A never moved; the one pinned to D moved there once.
    expect(moves.filter((m) => m.siteId === pinnedHere)).toEqual([]);
    expect(moves.filter((m) => m.siteId === pinnedElsewhere).map((m) => nodeName.get(m.toNodeId))).toEqual(["D"]);
    const pinnedLive = await db.placement.findFirstOrThrow({ where: { siteId: pinnedElsewhere, role: "PRIMARY" }, select: { nodeId: true } });
    expect(pinnedLive.nodeId).toBe(sim.nodeId("D"));

    // It helped: at the end no node is hot (measured, noise and all).
    await sim.heartbeat(at(rounds + 10), rateOf(rounds));
    const simIds = [...sim.nodes.values()].map((n) => n.id);
    for (const n of await db.node.findMany({ where: { id: { in: simIds } }, select: { name: true, metrics: true } })) {
      expect([n.name, (n.metrics as { cpu: { usagePct: number } }).cpu.usagePct < settings.hotThreshold * 100]).toEqual([n.name, true]);
    }

    // Started the way an admin's move starts, and says who and why.
    const audit = await db.auditEvent.findMany({ where: { action: "site.move" }, select: { actorEmail: true, actorId: true, after: true, targetId: true } });
    expect(audit).toHaveLength(moves.length);
    for (const a of audit) {
      expect(a).toMatchObject({ actorEmail: "balancer", actorId: null });
      expect((a.after as { reason: string }).reason).toMatch(/^balancer: /);
    }
    expect((audit.find((a) => a.targetId === pinnedElsewhere)!.after as { reason: string }).reason).toContain("pinned to D");
    const op = await db.operation.findFirstOrThrow({ where: { kind: "site.move" }, select: { actorId: true, steps: { orderBy: { index: "asc" }, select: { kind: true } } } });
    expect(op.actorId).toBeNull();
    expect(op.steps.map((s) => s.kind)).toEqual([...moveStepKinds]);
    expect(await db.outboxEvent.count({ where: { topic: "site.move" } })).toBe(moves.length);
  });
});
