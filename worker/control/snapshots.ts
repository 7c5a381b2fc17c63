import type { Db } from "../../server/db";
import { agentClient, AgentUnreachableError } from "./agent-client";
import { snapshotName } from "../../server/domain/snapshot-name";
import { decideRetention } from "../../server/domain/snapshot-retention";
import { replicateSite } from "./replicate";
import type { Log } from "../../server/observability/logger";

// The snapshot cadence on each site's live node (issue 4 builds replication on it): every tick
// takes a snapshot of each routed site whose newest one is older than its plan's cadence, files
// and databases together (the agent dumps the databases consistently first), records it, and
// prunes what the plan's retention no longer keeps. Bounded: `limit` sites a tick, `parallel` at
// once, so a large cluster spreads its snapshots over ticks instead of stalling the worker.

export type SnapshotTickOptions = {
  now?: Date;
  limit?: number;
  parallel?: number;
  log?: Log;
  /**
   * Nodes are busy applying changes (reconciles queued or running): snapshots are background
   * work and give way, except those already overdue by a whole cadence, so a burst of installs is
   * not slowed by dumps and streams, and no site goes unprotected for long.
   */
  busy?: boolean;
  /** How long a tick waits for one site's snapshot and replication before it goes on without them (default 3 s). */
  nodeTimeoutMs?: number;
};

// Sites whose snapshot on their live node is still being taken (a tick may have stopped waiting
// for it): not asked for again meanwhile. A replication still going is replicate.ts's to guard.
const snapshotting = new Set<string>();

type Due = Awaited<ReturnType<typeof dueSites>>[number];

/** One tick's shared state: the nodes found hung, and how many snapshots were taken. */
type Tick = { db: Db; clusterSecret: string; opts: SnapshotTickOptions; now: Date; waitMs: number; hung: Set<string>; taken: number };

export async function takeDueSnapshots(db: Db, clusterSecret: string, opts: SnapshotTickOptions = {}): Promise<number> {
  const now = opts.now ?? new Date();
  const queue = await dueSites(db, now, opts);
  // Only HEALTHY live nodes are read (a SUSPECT one shows DEGRADED, a DEAD one DEAD). One that
  // hangs before the detector says so is waited for `waitMs` once; its other sites wait for the
  // next tick instead of holding up the other nodes' sites (the calls themselves time out).
  const tick: Tick = { db, clusterSecret, opts, now, waitMs: opts.nodeTimeoutMs ?? 3_000, hung: new Set(), taken: 0 };
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) if (!tick.hung.has(p.node.id)) await snapshotWithin(tick, p);
  };
  await Promise.all(Array.from({ length: opts.parallel ?? 2 }, worker));
  return tick.taken;
}

/** The live placements whose site is due a snapshot, longest-waiting first, at most `limit`. */
async function dueSites(db: Db, now: Date, opts: SnapshotTickOptions) {
  const placements = await db.placement.findMany({
    where: { role: "PRIMARY", node: { status: "HEALTHY" }, site: { routed: true, deletedAt: null, observedGeneration: { gt: 0 } } },
    select: {
      epoch: true,
      node: { select: { id: true, name: true, address: true, agentPort: true } },
      site: {
        select: {
          id: true,
          createdAt: true,
          account: { select: { plan: { select: { snapshotCadenceSec: true, keepAllMinutes: true, keepHourlyDays: true, keepDailyDays: true } } } },
          databases: { where: { deletedAt: null }, select: { name: true } },
        },
      },
    },
  });
  const newest = await db.snapshot.groupBy({ by: ["siteId", "nodeId"], _max: { takenAt: true } });
  const newestOf = new Map(newest.map((n) => [`${n.siteId}/${n.nodeId}`, n._max.takenAt?.getTime() ?? 0]));
  return (
    placements
      .map((p) => ({ p, last: newestOf.get(`${p.site.id}/${p.node.id}`) ?? 0 }))
      // Due a little early (a quarter of the cadence, at most 0.5 s): the newest snapshot's time
      // is when the node began it, a moment after its tick, so at the next tick it is not quite a
      // cadence old and would wait a whole tick more.
      .filter(({ p, last }) => {
        const cadenceMs = p.site.account.plan.snapshotCadenceSec * 1000;
        return now.getTime() - last >= cadenceMs * (opts.busy && last > 0 ? 2 : 1) - Math.min(cadenceMs / 4, 500);
      })
      // A site's very first snapshot waits for a quiet moment too, up to one cadence after it was created.
      .filter(({ p, last }) => !(opts.busy && last === 0 && now.getTime() - p.site.createdAt.getTime() < p.site.account.plan.snapshotCadenceSec * 1000))
      // Longest-waiting first, so no site starves when there are more than `limit`.
      .sort((a, b) => a.last - b.last)
      .filter(({ p }) => !snapshotting.has(p.site.id))
      .slice(0, opts.limit ?? 50)
      .map(({ p }) => p)
  );
}

/**
 * A site's snapshot, waited for at most `waitMs`. A replication stream to a hung replica has no
 * short timeout (a full copy may take minutes): past `waitMs` the tick goes on without it, and it
 * ends on its own.
 */
async function snapshotWithin(tick: Tick, p: Due): Promise<void> {
  const progress = { onLiveNode: true };
  const work = snapshotSite(tick, p, progress);
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([work.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), tick.waitMs)))]);
  clearTimeout(timer);
  if (!done) {
    if (progress.onLiveNode) tick.hung.add(p.node.id);
    tick.opts.log?.(`snapshot of site ${p.site.id} on ${p.node.name}: ${progress.onLiveNode ? "the snapshot" : "its replication"} is still running after ${tick.waitMs} ms; not waited for`, { siteId: p.site.id, nodeId: p.node.id });
  }
}

/** Taken on the live node, recorded, pruned there, then sent on to the site's replicas and pruned there. */
async function snapshotSite(tick: Tick, p: Due, progress: { onLiveNode: boolean }): Promise<void> {
  const { db, clusterSecret, opts, now } = tick;
  const agent = agentClient(p.node, { clusterSecret, timeoutMs: 30_000 });
  const at = new Date();
  snapshotting.add(p.site.id);
  try {
    const info = await agent.createSnapshot(p.site.id, snapshotName("s", at), p.site.databases.map((d) => d.name).sort());
    await db.snapshot.create({
      data: { siteId: p.site.id, nodeId: p.node.id, name: info.name, kind: "SCHEDULED", epoch: p.epoch, sizeBytes: BigInt(info.sizeBytes), takenAt: new Date(info.takenAt) },
    });
    tick.taken++;
    await prune(db, agent, p.site.id, p.node.id, p.site.account.plan, now);
    progress.onLiveNode = false;
    snapshotting.delete(p.site.id);
    // The new snapshot goes on to the site's replicas at once (incremental from the common one).
    const sent = await replicateSite(db, clusterSecret, p.site.id);
    for (const r of sent) {
      opts.log?.(`replicated ${r.name} of site ${r.siteId} to ${r.nodeName}: ${r.bytes} bytes (${r.parent ? `incremental from ${r.parent}` : "full"})`, { siteId: r.siteId });
      const replica = await db.node.findUniqueOrThrow({ where: { name: r.nodeName }, select: { id: true, name: true, address: true, agentPort: true } });
      await prune(db, agentClient(replica, { clusterSecret, timeoutMs: 30_000 }), p.site.id, replica.id, p.site.account.plan, now);
    }
  } catch (e) {
    if (progress.onLiveNode && e instanceof AgentUnreachableError && !e.refused) tick.hung.add(p.node.id);
    // A node away misses this tick; the next one tries again. Anything else is worth a line.
    if (!(e instanceof AgentUnreachableError)) opts.log?.(`snapshot of site ${p.site.id} on ${p.node.name}: ${e instanceof Error ? e.message : String(e)}`, { siteId: p.site.id, nodeId: p.node.id });
  } finally {
    snapshotting.delete(p.site.id);
  }
}

async function prune(
  db: Db,
  agent: ReturnType<typeof agentClient>,
  siteId: string,
  nodeId: string,
  policy: { keepAllMinutes: number; keepHourlyDays: number; keepDailyDays: number },
  now: Date,
): Promise<void> {
  const rows = await db.snapshot.findMany({ where: { siteId, nodeId }, select: { id: true, name: true, takenAt: true, kind: true } });
  // The state kept before a rollback (and a netsplit's divergent copy) is the customer's way back:
  // never pruned by the cadence's retention.
  const decision = decideRetention(rows.map((r) => ({ name: r.name, takenAt: r.takenAt, pinned: r.kind !== "SCHEDULED" })), now, policy);
  for (const name of decision.delete) {
    await agent.deleteSnapshot(siteId, name).catch((e: unknown) => {
      if (!(e instanceof Error && /404/.test(e.message))) throw e;
    });
    await db.snapshot.deleteMany({ where: { siteId, nodeId, name } });
  }
}
