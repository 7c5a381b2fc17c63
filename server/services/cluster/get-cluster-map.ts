import type { Db } from "../../db";
import { db as defaultDb } from "../../db";
import { AppError } from "../../errors";
import type { NodeStatus, TenantStatus } from "../../generated/prisma/enums";
import type { Scope } from "../../auth/scope";
import { nodeMetricsSchema } from "../../contract/node-metrics";
import { heartbeatSilenceSec } from "../../domain/control-plane-health";
import { readSuspectWindow } from "../health/read-suspect-window";
import { operationKind, pausedStepKinds as pausedSteps } from "../../domain/operation-kinds";

// The admin's live cluster map: every node with its health and load, every placed site as a mark
// on its live node and lighter marks on its replicas, moves in flight, paused sites and replica
// lag. Built from Postgres only (the UI never reads Redis), with `select` so no raw row (and no
// raw metrics JSON from a node) reaches the browser. The SSE route and the polling procedure both
// send exactly this shape.

/** A planned move's Operation kind (the move builder starts one per move). */
export const siteMoveKind = operationKind.siteMove;

/**
 * Step kinds during which a moving site's requests are held at the edges (paused). Contract with
 * the move builder: a RUNNING operation on a site whose RUNNING step is one of these (optionally
 * prefixed, "site.move.pause") shows the site as paused.
 */
export const pausedStepKinds: ReadonlySet<string> = new Set(pausedSteps);

export type ClusterNodeView = {
  id: string;
  name: string;
  status: NodeStatus;
  heartbeatAgeSec: number | null;
  /** Seconds silent past the suspect window: the status is then not the node's health. Null when fresh (or DEAD, PENDING). */
  silentSec: number | null;
  capacitySites: number;
  load: { cpuPct: number; load1: number; cores: number; memoryUsedMb: number; memoryTotalMb: number; requestsPerSec: number } | null;
  liveSites: number;
  replicaSites: number;
};

export type ClusterSiteView = {
  id: string;
  /** The domain a person reads (Unicode for IDNs). */
  name: string;
  status: TenantStatus;
  liveNodeId: string | null;
  epoch: number;
  pinnedNodeId: string | null;
  /** From the live node's last heartbeat; null when it reported no figures. */
  requestsPerSec: number | null;
  paused: boolean;
  move: { operationId: string; step: string | null; stepsDone: number; stepsTotal: number } | null;
  replicas: Array<{ nodeId: string; lagSec: number | null }>;
  /** Age of the newest snapshot the live node holds; null if none is recorded. */
  newestSnapshotAgeSec: number | null;
  /**
   * At least one replica on a HEALTHY node holds a snapshot at most `protectedLagSec` older than
   * the live node's newest: losing the live node would lose at most that much.
   */
  protected: boolean;
};

/** How far behind the live copy a replica may be and still count as protecting the site. */
export const protectedLagSec = 300;

export type ClusterMapView = { generatedAt: string; nodes: ClusterNodeView[]; sites: ClusterSiteView[] };

/** Only platform admins see the cluster (every tenant's sites at once). */
export function assertClusterViewer(scope: Scope): void {
  if (scope.kind !== "admin") throw new AppError("FORBIDDEN", "Only platform admins see the cluster map.");
}

const ageSec = (now: Date, at: Date | null) => (at ? Math.max(0, Math.floor((now.getTime() - at.getTime()) / 1000)) : null);

function stepKindOf(kind: string): string {
  return kind.slice(kind.lastIndexOf(".") + 1);
}

type Picture = Awaited<ReturnType<typeof readPicture>>;
type NodeEntry = { view: ClusterNodeView; siteRates: Record<string, { requestsPerSec: number }> };

export async function getClusterMap(scope: Scope, db: Db = defaultDb): Promise<ClusterMapView> {
  assertClusterViewer(scope);
  const [picture, suspectAfterMs] = await Promise.all([readPicture(db), readSuspectWindow(db)]);
  const now = new Date();
  const nodeViews = picture.nodes.map((n) => nodeView(n, now, suspectAfterMs));
  const nodeById = new Map(nodeViews.map((n) => [n.view.id, n]));
  const snapshotAt = new Map(picture.snapshots.map((s) => [`${s.siteId}\u0000${s.nodeId}`, s._max.takenAt]));
  const placementsBySite = new Map<string, Picture["placements"]>();
  for (const p of picture.placements) placementsBySite.set(p.siteId, [...(placementsBySite.get(p.siteId) ?? []), p]);
  const opBySite = new Map<string, Picture["operations"][number]>();
  for (const op of picture.operations) if (!opBySite.has(op.targetId) || op.kind === siteMoveKind) opBySite.set(op.targetId, op);
  const siteViews = picture.sites.map((s) => siteView(s, { now, placements: placementsBySite.get(s.id) ?? [], op: opBySite.get(s.id), nodeById, snapshotAt }));
  return { generatedAt: now.toISOString(), nodes: nodeViews.map((n) => n.view), sites: siteViews };
}

/**
 * One consistent picture: a move that commits half-way through these reads would otherwise show
 * a site on two nodes or on none.
 */
function readPicture(db: Db) {
  return db.$transaction(
    async (tx) => {
      const [nodes, placements, sites, operations] = await Promise.all([
        tx.node.findMany({
          orderBy: { name: "asc" },
          select: { id: true, name: true, status: true, lastHeartbeatAt: true, capacitySites: true, metrics: true },
        }),
        tx.placement.findMany({
          where: { site: { deletedAt: null } },
          orderBy: [{ siteId: "asc" }, { nodeId: "asc" }],
          select: { siteId: true, nodeId: true, role: true, epoch: true },
        }),
        tx.site.findMany({
          where: { deletedAt: null, placements: { some: {} } },
          orderBy: { id: "asc" },
          select: { id: true, status: true, pinnedNodeId: true, domain: { select: { name: true, displayName: true } } },
        }),
        tx.operation.findMany({
          where: { status: "RUNNING", targetType: "Site" },
          orderBy: { createdAt: "asc" },
          select: { id: true, kind: true, targetId: true, steps: { orderBy: { index: "asc" }, select: { kind: true, status: true } } },
        }),
      ]);
      const snapshots = await tx.snapshot.groupBy({
        by: ["siteId", "nodeId"],
        where: { siteId: { in: sites.map((s) => s.id) }, nodeId: { not: null } },
        _max: { takenAt: true },
      });
      return { nodes, placements, sites, operations, snapshots };
    },
    { isolationLevel: "RepeatableRead" },
  );
}

/** A node as the map shows it; its site counts are filled in as the sites are read. */
function nodeView(n: Picture["nodes"][number], now: Date, suspectAfterMs: number): NodeEntry {
  // Node.metrics was validated when written, but may predate this code: parse again, and show
  // nothing rather than something wrong.
  const parsed = nodeMetricsSchema.safeParse(n.metrics);
  const m = parsed.success ? parsed.data : null;
  return {
    view: {
      id: n.id,
      name: n.name,
      status: n.status,
      heartbeatAgeSec: ageSec(now, n.lastHeartbeatAt),
      silentSec: heartbeatSilenceSec(n.status, n.lastHeartbeatAt, now, suspectAfterMs),
      capacitySites: n.capacitySites,
      load: m
        ? {
            cpuPct: m.cpu.usagePct,
            load1: m.cpu.load1,
            cores: m.cpu.cores,
            memoryUsedMb: Math.max(0, m.memory.totalMb - m.memory.availableMb),
            memoryTotalMb: m.memory.totalMb,
            requestsPerSec: Object.values(m.sites).reduce((sum, s) => sum + s.requestsPerSec, 0),
          }
        : null,
      liveSites: 0,
      replicaSites: 0,
    } satisfies ClusterNodeView,
    siteRates: m?.sites ?? {},
  };
}

/** A site as the map shows it: where it lives, its replicas' lag, a move in progress. Counts it on its nodes. */
function siteView(
  s: Picture["sites"][number],
  c: { now: Date; placements: Picture["placements"]; op: Picture["operations"][number] | undefined; nodeById: Map<string, NodeEntry>; snapshotAt: Map<string, Date | null> },
): ClusterSiteView {
  const ps = c.placements;
  const live = ps.find((p) => p.role === "PRIMARY") ?? null;
  const liveNode = live ? c.nodeById.get(live.nodeId) : undefined;
  if (liveNode) liveNode.view.liveSites++;
  const liveSnap = live ? (c.snapshotAt.get(`${s.id}\u0000${live.nodeId}`) ?? null) : null;
  const replicas = ps
    .filter((p) => p.role === "REPLICA")
    .map((p) => {
      const node = c.nodeById.get(p.nodeId);
      if (node) node.view.replicaSites++;
      const at = c.snapshotAt.get(`${s.id}\u0000${p.nodeId}`) ?? null;
      // Lag against the live copy's newest snapshot; without either side it is unknown.
      const lagSec = at && liveSnap ? Math.max(0, Math.round((liveSnap.getTime() - at.getTime()) / 1000)) : null;
      return { nodeId: p.nodeId, lagSec, hasSnapshot: at !== null, healthy: node?.view.status === "HEALTHY" };
    });
  const op = c.op;
  const running = op?.steps.find((st) => st.status === "RUNNING") ?? null;
  const rate = liveNode?.siteRates[s.domain.name];
  return {
    id: s.id,
    name: s.domain.displayName,
    status: s.status,
    liveNodeId: live?.nodeId ?? null,
    epoch: live?.epoch ?? Math.max(0, ...ps.map((p) => p.epoch)),
    pinnedNodeId: s.pinnedNodeId,
    // A host missing from a valid report had no requests in the agent's window.
    requestsPerSec: liveNode?.view.load ? (rate?.requestsPerSec ?? 0) : null,
    paused: running !== null && pausedStepKinds.has(stepKindOf(running.kind)),
    move:
      op && op.kind === siteMoveKind
        ? { operationId: op.id, step: running?.kind ?? null, stepsDone: op.steps.filter((st) => st.status === "SUCCEEDED").length, stepsTotal: op.steps.length }
        : null,
    replicas: replicas.map(({ nodeId, lagSec }) => ({ nodeId, lagSec })),
    newestSnapshotAgeSec: ageSec(c.now, liveSnap),
    protected: replicas.some((r) => r.hasSnapshot && r.healthy && r.lagSec !== null && r.lagSec <= protectedLagSec),
  };
}
