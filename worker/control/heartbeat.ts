import type { Db } from "../../server/db";
import type { NodeStatus, Prisma } from "../../server/generated/prisma/client";
import type { NodeMetrics } from "../../server/contract/node-metrics";
import { agentClient, AgentUnreachableError } from "./agent-client";
import {
  defaultDetectorSettings,
  detectFailures,
  nodeStatusFor,
  type DetectorSettings,
  type Health,
  type HeartbeatObservation,
  type NodeHealth,
  type PeerProbe,
} from "../../server/domain/failure-detector";
import type { Log } from "../../server/observability/logger";

// Every 500 ms (SCHEDULES.heartbeat, a BullMQ job scheduler: one tick across all workers; the
// heartbeat lease keeps two ticks from overlapping) each agent is asked for its metrics; an answer
// is the node's heartbeat.
// The failure detector (server/domain/failure-detector.ts) then decides each node's health:
// - a node silent for T1, or whose agent refuses connections, is SUSPECT (shown DEGRADED); the
//   nodes the control plane still hears are asked, in the same tick, whether they reach its
//   front door (POST /v1/probe);
// - it is DEAD only when a majority of them cannot: then `onDead` fails its sites over;
// - a DEAD node heard again is first brought to the current route table (its edge must never
//   serve its old epoch), and after the hold-down rejoins through `onRejoin` (its divergent data
//   kept) and a full reconcile, as a replica.

export type HeartbeatHooks = {
  /** A node turned HEALTHY from DEGRADED or PENDING: reconcile it in full. */
  onRecovered(nodeId: string): Promise<void>;
  /** Nodes DEAD now that still hold live placements: fail their sites over. Not awaited by the tick. */
  onDead(deadNodeIds: string[]): void;
  /** A DEAD node is back after the hold-down. Throwing keeps it DEAD until the next tick. */
  onRejoin(nodeId: string): Promise<void>;
  /**
   * The node's edge needs the current route table now: it is DEAD but heard again (in or after
   * the hold-down; `onlyIfBehind`), or it came back from a crash and its front door waits for one.
   */
  pushRoutes(nodeId: string, onlyIfBehind: boolean): Promise<void>;
  /**
   * A node entered or left HEALTHY: every zone's A records name the healthy nodes, so every node's
   * DNS must hear of it now (a dead node's address leaves the answers within 2 s).
   */
  onHealthySetChanged?(): Promise<void>;
  log?: Log;
};

export type HeartbeatOptions = {
  detector?: Partial<DetectorSettings>;
  /** How long one metrics poll may take; a slower node counts as silent for this tick. */
  pollTimeoutMs?: number;
  /** How long a peer probe of a suspect's front door may take. */
  probeTimeoutMs?: number;
};

const healthOfStatus = (status: string): Health | null =>
  status === "DEAD" ? "DEAD" : status === "DEGRADED" ? "SUSPECT" : status === "HEALTHY" || status === "DRAINING" ? "HEALTHY" : null;

export type HeartbeatTick = { transitions: { node: string; from: Health | null; to: Health; reason: string }[]; held: Record<string, string>; dead: string[] };

type NodeRow = {
  id: string;
  name: string;
  address: string;
  agentPort: number;
  httpPort: number;
  status: NodeStatus;
  lastHeartbeatAt: Date | null;
  healthSince: Date | null;
  deadFlipAt: Date | null;
  updatedAt: Date;
  appliedRoutesVersion: bigint;
};
type Poll = { at: number; ok: true; metrics: NodeMetrics } | { at: number; ok: false; refused: boolean; error: string };
type Client = (n: NodeRow) => ReturnType<typeof agentClient>;
type Verdict = ReturnType<typeof detectFailures>;

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function collectHeartbeats(db: Db, clusterSecret: string, hooks: HeartbeatHooks, opts: HeartbeatOptions = {}): Promise<HeartbeatTick> {
  const settings = { ...defaultDetectorSettings, ...opts.detector };
  const nodes: NodeRow[] = await db.node.findMany({
    select: { id: true, name: true, address: true, agentPort: true, httpPort: true, status: true, lastHeartbeatAt: true, healthSince: true, deadFlipAt: true, updatedAt: true, appliedRoutesVersion: true },
  });
  const client: Client = (n) => agentClient(n, { clusterSecret });
  const polled = await pollAll(nodes, client, opts);
  const now = Date.now();
  // A PENDING node (registered, never heard) becomes HEALTHY when it answers; it is not part of
  // the detector's membership before that.
  const members = nodes.filter((n) => n.status !== "PENDING" || polled.get(n.id)?.ok);
  const observations: HeartbeatObservation[] = members.map((n) => {
    const p = polled.get(n.id)!;
    return { nodeId: n.id, lastHeartbeatAt: p.ok ? p.at : (n.lastHeartbeatAt?.getTime() ?? null), refusedAt: !p.ok && p.refused ? p.at : null };
  });
  const previous: Record<string, NodeHealth> = {};
  for (const n of members) {
    const state = healthOfStatus(n.status);
    if (state) previous[n.id] = { state, since: (n.healthSince ?? n.updatedAt).getTime(), deadFlipAt: n.deadFlipAt?.getTime() ?? null };
  }
  const probes = await probeSilent(members, polled, observations, previous, { now, suspectAfterMs: settings.suspectAfterMs, client, opts });
  // Decide as of now: the probes may have taken a second, and a node that answered this tick's
  // poll is not silent because its peers were slow to answer about another one.
  const decidedAt = Date.now();
  const current = observations.map((o) => (polled.get(o.nodeId)?.ok ? { ...o, lastHeartbeatAt: decidedAt } : o));
  const result = detectFailures({ now: decidedAt, nodes: current, probes, previous }, settings);
  const transitions: HeartbeatTick["transitions"] = [];
  for (const n of members) {
    const t = await applyVerdict(db, hooks, n, polled.get(n.id)!, result);
    if (t) transitions.push(t);
  }
  return { transitions, held: result.held, dead: await failOverDead(db, hooks, members, result) };
}

/** 1. Every agent polled at once; its metrics are its heartbeat. */
async function pollAll(nodes: NodeRow[], client: Client, opts: HeartbeatOptions): Promise<Map<string, Poll>> {
  const polled = new Map<string, Poll>();
  await Promise.all(
    nodes.map(async (node) => {
      try {
        const metrics = await client(node).metrics(opts.pollTimeoutMs ?? 900);
        polled.set(node.id, { at: Date.now(), ok: true, metrics });
      } catch (e) {
        polled.set(node.id, { at: Date.now(), ok: false, refused: e instanceof AgentUnreachableError && e.refused, error: errorText(e) });
      }
    }),
  );
  return polled;
}

/** 2. Whom the control plane does not hear: the nodes it hears are asked whether they reach them. */
async function probeSilent(
  members: NodeRow[],
  polled: Map<string, Poll>,
  observations: HeartbeatObservation[],
  previous: Record<string, NodeHealth>,
  at: { now: number; suspectAfterMs: number; client: Client; opts: HeartbeatOptions },
): Promise<PeerProbe[]> {
  const heard = members.filter((n) => polled.get(n.id)?.ok);
  const silent = members.filter((n) => {
    const o = observations.find((x) => x.nodeId === n.id)!;
    const quiet = !polled.get(n.id)?.ok && (o.refusedAt != null || o.lastHeartbeatAt === null || at.now - o.lastHeartbeatAt > at.suspectAfterMs);
    return quiet && previous[n.id]?.state !== "DEAD";
  });
  const probes: PeerProbe[] = [];
  await Promise.all(
    silent.flatMap((target) =>
      heard.map(async (peer) => {
        try {
          const r = await at.client(peer).probe({ address: target.address, port: target.httpPort }, at.opts.probeTimeoutMs ?? 700);
          probes.push({ fromNodeId: peer.id, toNodeId: target.id, reachable: r.reachable, at: Date.now() });
        } catch {
          // The peer itself did not answer the question: no evidence either way.
        }
      }),
    ),
  );
  return probes;
}

/** 3. The detector's verdict on one node, written and acted on; its transition, if it changed. */
async function applyVerdict(db: Db, hooks: HeartbeatHooks, n: NodeRow, p: Poll, result: Verdict): Promise<HeartbeatTick["transitions"][number] | null> {
  const h = result.health[n.id]!;
  const t = result.transitions.find((x) => x.nodeId === n.id);
  const pushRoutes = (onlyIfBehind: boolean) => hooks.pushRoutes(n.id, onlyIfBehind).catch((e: unknown) => hooks.log?.(`routes to ${n.name}: ${errorText(e)}`, { nodeId: n.id }));
  let state = h.state;
  if (t && result.rejoined.includes(n.id)) {
    // Back from DEAD: keep what it holds beyond the promoted copies, then let it in. Heard again
    // only after its hold-down (a link down longer than that), it was never given the current
    // routes while DEAD: first those, or its edge serves its old epoch as live for as long as
    // keeping its divergent data takes (seconds).
    if (p.ok) await pushRoutes(true);
    try {
      await hooks.onRejoin(n.id);
    } catch (e) {
      hooks.log?.(`node ${n.name} cannot rejoin yet: ${errorText(e)}`, { nodeId: n.id });
      state = "DEAD";
    }
  }
  const status: NodeStatus = state === "HEALTHY" && n.status === "DRAINING" ? "DRAINING" : nodeStatusFor(state);
  const changed = status !== n.status;
  const data = {
    ...(p.ok ? { lastHeartbeatAt: new Date(p.at), metrics: p.metrics as Prisma.InputJsonObject } : {}),
    ...(changed ? { status, healthSince: new Date(h.since), deadFlipAt: h.deadFlipAt === null ? null : new Date(h.deadFlipAt) } : {}),
  };
  if (Object.keys(data).length) await db.node.update({ where: { id: n.id }, data });
  let transition = null;
  if (changed && t) {
    transition = { node: n.name, from: t.from, to: state, reason: t.reason };
    hooks.log?.(`node ${n.name}: ${t.from ?? "new"} → ${state} (${t.reason})${p.ok ? "" : `; last poll: ${p.error}`}`, { nodeId: n.id });
  }
  if (changed && status === "HEALTHY" && (n.status === "DEGRADED" || n.status === "PENDING" || n.status === "DEAD")) await hooks.onRecovered(n.id);
  if (changed && (status === "HEALTHY") !== (n.status === "HEALTHY")) {
    await hooks.onHealthySetChanged?.().catch((e: unknown) => hooks.log?.(`zones after ${n.name} changed health: ${errorText(e)}`, { nodeId: n.id }));
  }
  if (p.ok) {
    const waiting = p.metrics.edge?.confirmed === false;
    if (waiting || state === "DEAD") await pushRoutes(!waiting);
  }
  return transition;
}

/** 4. Whatever still runs live on a DEAD node is failed over (also the sites a crashed failover left). */
async function failOverDead(db: Db, hooks: HeartbeatHooks, members: NodeRow[], result: Verdict): Promise<string[]> {
  const dead = members.filter((n) => (result.health[n.id]?.state ?? healthOfStatus(n.status)) === "DEAD").map((n) => n.id);
  if (dead.length && (await db.placement.count({ where: { role: "PRIMARY", nodeId: { in: dead }, site: { deletedAt: null } } })) > 0) hooks.onDead(dead);
  return dead;
}
