import type { Db } from "../../server/db";
import { nodeMetricsSchema, type NodeMetrics } from "../../server/contract/node-metrics";

// A SIMULATED node driver, for control-plane tests only: it exists to test the control plane at
// scale without real nodes, and is named so nobody mistakes it for one. There is no agent, nginx
// or storage behind these nodes and nothing ever connects to their addresses: the driver writes
// into Node.metrics the heartbeat a real node would report for the load it is given, and finishes
// a planned move at once in Postgres, the way worker/control/move-site.ts ends one (the target's
// placement becomes PRIMARY with epoch + 1, the source a REPLICA, the operation SUCCEEDED). Time is
// simulated: the caller passes `now`, and moves are stamped with it.

export type SimulatedNodeSpec = { name: string; cores: number };

export type SimulatedMove = { siteId: string; name: string; fromNodeId: string; toNodeId: string; at: Date; operationId: string };

/** Deterministic noise (mulberry32), so a failing run reproduces. */
export function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SimulatedNodes {
  readonly nodes = new Map<string, { id: string; name: string; cores: number }>();
  readonly moves: SimulatedMove[] = [];
  private readonly rand: () => number;
  /** Each node's 1-minute load average, decayed between heartbeats as the kernel's is. */
  private readonly load1 = new Map<string, { value: number; at: number }>();

  constructor(
    private readonly db: Db,
    private readonly opts: {
      /** CPU not explained by requests, in percent of the node. */
      baselinePct: number;
      /** CPU seconds one request costs. */
      cpuSecondsPerRequest: number;
      /** Measurement noise, ± percent points. */
      noisePct: number;
      seed: number;
    },
  ) {
    this.rand = prng(opts.seed);
  }

  /** Registers the nodes (HEALTHY, on addresses nothing listens on; never contacted). */
  async addNodes(specs: readonly SimulatedNodeSpec[], tag: string): Promise<void> {
    let i = 1;
    for (const spec of specs) {
      const row = await this.db.node.create({
        data: { name: `${spec.name}-${tag}`, address: `127.0.250.${i++}`, agentPort: 1, status: "HEALTHY", capacityCpus: spec.cores, lastHeartbeatAt: new Date() },
        select: { id: true, name: true },
      });
      this.nodes.set(spec.name, { id: row.id, name: row.name, cores: spec.cores });
    }
  }

  nodeId(name: string): string {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no simulated node ${name}`);
    return n.id;
  }

  /** A routed site live on `live` with a replica on `replica`, as a finished create leaves it. */
  async addSite(accountId: string, domainName: string, live: string, replica: string | null): Promise<string> {
    const domain = await this.db.domain.create({ data: { accountId, name: domainName, displayName: domainName }, select: { id: true } });
    const site = await this.db.site.create({ data: { accountId, domainId: domain.id, routed: true, observedGeneration: 1 }, select: { id: true } });
    await this.db.placement.create({ data: { siteId: site.id, nodeId: this.nodeId(live), role: "PRIMARY" } });
    if (replica) await this.db.placement.create({ data: { siteId: site.id, nodeId: this.nodeId(replica), role: "REPLICA" } });
    return site.id;
  }

  /**
   * Every node's heartbeat for the given per-site request rates (by domain name): each site's
   * requests are reported by the node serving it live, and its CPU is the baseline plus what those
   * requests cost, plus noise, capped at 100% as a real node's is.
   */
  async heartbeat(now: Date, ratesByHost: (host: string) => number): Promise<void> {
    const live = await this.db.placement.findMany({
      where: { role: "PRIMARY", nodeId: { in: [...this.nodes.values()].map((n) => n.id) }, site: { deletedAt: null } },
      select: { nodeId: true, site: { select: { domain: { select: { name: true } } } } },
    });
    for (const node of this.nodes.values()) {
      const sites: NodeMetrics["sites"] = {};
      let busyCores = 0;
      for (const p of live.filter((x) => x.nodeId === node.id)) {
        const r = ratesByHost(p.site.domain.name);
        if (r > 0) sites[p.site.domain.name] = { requestsPerSec: r, errorsPerSec: 0 };
        busyCores += r * this.opts.cpuSecondsPerRequest;
      }
      const truePct = this.opts.baselinePct + (100 * busyCores) / node.cores;
      const usagePct = Math.min(100, Math.max(0, truePct + (this.rand() * 2 - 1) * this.opts.noisePct));
      const busy = (Math.min(100, truePct) / 100) * node.cores;
      const prev = this.load1.get(node.id);
      const decay = prev ? Math.exp(-(now.getTime() - prev.at) / 60_000) : 0;
      const load1 = prev ? prev.value * decay + busy * (1 - decay) : busy;
      this.load1.set(node.id, { value: load1, at: now.getTime() });
      const metrics = nodeMetricsSchema.parse({
        at: now.toISOString(),
        uptimeSec: 3600,
        cpu: { cores: node.cores, load1: Math.round(load1 * 100) / 100, usagePct },
        memory: { totalMb: 4096, availableMb: 2048, agentRssMb: 80 },
        disk: { totalMb: 100_000, usedMb: 20_000, freeMb: 80_000 },
        sites,
      });
      await this.db.node.update({ where: { id: node.id }, data: { metrics, lastHeartbeatAt: now } });
    }
  }

  /** When each move in flight started, in simulated time. */
  private readonly startedAt = new Map<string, Date>();

  /**
   * Advances the moves in flight to simulated time `now`: a move first seen now is stamped as
   * started now; one started at least `durationMs` ago finishes, leaving in Postgres what
   * move-site.ts's start-target and release steps leave, without any node. durationMs 0 finishes
   * a move in the round that started it.
   */
  async completeMoves(now: Date, durationMs = 0): Promise<SimulatedMove[]> {
    const inFlight = await this.db.operation.findMany({
      where: { kind: "site.move", status: { in: ["PENDING", "RUNNING"] } },
      orderBy: { createdAt: "asc" },
      select: { id: true, targetId: true, steps: { where: { kind: "pre-copy" }, select: { target: true } } },
    });
    for (const op of inFlight) {
      if (this.startedAt.has(op.id)) continue;
      this.startedAt.set(op.id, now);
      // Stamped with simulated time, so the balancer's windows and cool-downs run on it.
      await this.db.operation.update({ where: { id: op.id }, data: { status: "RUNNING", createdAt: now, startedAt: now } });
    }
    const ops = inFlight.filter((op) => now.getTime() - this.startedAt.get(op.id)!.getTime() >= durationMs);
    const done: SimulatedMove[] = [];
    for (const op of ops) {
      const target = [...this.nodes.values()].find((n) => n.name === op.steps[0]?.target);
      if (!target) throw new Error(`move ${op.id} goes to ${op.steps[0]?.target}, which is not a simulated node`);
      await this.db.$transaction(async (tx) => {
        const placements = await tx.placement.findMany({ where: { siteId: op.targetId }, select: { id: true, nodeId: true, role: true, epoch: true } });
        const source = placements.find((p) => p.role === "PRIMARY")!;
        if (!placements.some((p) => p.nodeId === target.id)) {
          await tx.placement.create({ data: { siteId: op.targetId, nodeId: target.id, role: "REPLICA", epoch: source.epoch, reason: "target of a planned move" } });
        }
        await tx.placement.update({ where: { id: source.id }, data: { role: "REPLICA", reason: `moved to ${target.name}` } });
        await tx.placement.updateMany({ where: { siteId: op.targetId, nodeId: target.id }, data: { role: "PRIMARY", epoch: source.epoch + 1, reason: "planned move (simulated)" } });
        await tx.operationStep.updateMany({ where: { operationId: op.id }, data: { status: "SUCCEEDED", startedAt: this.startedAt.get(op.id)!, finishedAt: now } });
        await tx.operation.update({ where: { id: op.id }, data: { status: "SUCCEEDED", finishedAt: now } });
        const site = await tx.site.findUniqueOrThrow({ where: { id: op.targetId }, select: { domain: { select: { name: true } } } });
        done.push({ siteId: op.targetId, name: site.domain.name, fromNodeId: source.nodeId, toNodeId: target.id, at: now, operationId: op.id });
      });
    }
    this.moves.push(...done);
    return done;
  }
}
