import type { Db } from "../../server/db";
import { agentClient, AgentRejectedError, AgentUnreachableError } from "./agent-client";
import { replacedNodeNames } from "../../server/domain/re-replication";

// Replicas follow the live node's snapshots: the newest snapshot of a site goes to each of its
// replica nodes incrementally, from the newest snapshot both nodes already hold (so a node that
// was away catches up from its last common snapshot, not from scratch). A replica that holds no
// common snapshot gets a full stream. The Snapshot rows are the record of what each node holds.

// Streams in flight from this process, by site and replica node.
const streaming = new Map<string, Promise<unknown>>();

/** Resolves once no stream of this process to that node is in flight for the site (a released replica's clean-up waits for it). */
export async function streamsSettled(siteId: string, nodeId: string): Promise<void> {
  await streaming.get(`${siteId}/${nodeId}`)?.catch(() => undefined);
}

export type ReplicationResult = { siteId: string; nodeName: string; name: string; parent: string | null; bytes: number };

/** `seed`: only to this node (re-replicate.ts sending a new replica its first copy). */
export async function replicateSite(db: Db, clusterSecret: string, siteId: string, opts: { seed?: string } = {}): Promise<ReplicationResult[]> {
  const placements = await db.placement.findMany({
    where: { siteId },
    select: { id: true, role: true, epoch: true, reason: true, node: { select: { id: true, name: true, address: true, agentPort: true, status: true } } },
  });
  const live = placements.find((p) => p.role === "PRIMARY");
  if (!live || live.node.status !== "HEALTHY") return [];
  const rows = await db.snapshot.findMany({ where: { siteId }, orderBy: { takenAt: "desc" }, select: { name: true, nodeId: true, takenAt: true, kind: true } });
  const newest = rows.find((r) => r.nodeId === live.node.id && r.kind === "SCHEDULED");
  if (!newest) return [];
  const source = agentClient(live.node, { clusterSecret });
  const results: ReplicationResult[] = [];
  const onSource = rows.filter((r) => r.nodeId === live.node.id && r.kind === "SCHEDULED");
  // The replicas at once: a slow or hung one does not hold up the others.
  const replicas = placements.filter((p) => p.role === "REPLICA" && p.node.status === "HEALTHY" && (!opts.seed || p.node.id === opts.seed));
  await Promise.all(
    replicas.map(async (replica) => {
      const held = new Set(rows.filter((r) => r.nodeId === replica.node.id).map((r) => r.name));
      if (held.has(newest.name)) return;
      // A new re-replica's first, full copy is its seed's to send: two full streams at once would
      // double the traffic a node loss causes.
      if (!opts.seed && held.size === 0 && replacedNodeNames(replica.reason) !== null) return;
      // One stream to a replica at a time: one still going (a slow or hung node) is not joined by
      // another copy each tick; it catches up from the common snapshot once it is done.
      const key = `${siteId}/${replica.node.id}`;
      if (streaming.has(key)) return;
      const parent = onSource.find((r) => held.has(r.name) && r.takenAt < newest.takenAt)?.name ?? null;
      const target = agentClient(replica.node, { clusterSecret });
      const stream = (async () => {
        const sent = await source.sendSnapshotTo(target, siteId, newest.name, parent);
        // Released meanwhile (re-replicate.ts): the copy there is being deleted, this one too.
        if ((await db.placement.count({ where: { id: replica.id } })) === 0) {
          await target.deleteSnapshot(siteId, newest.name).catch(() => undefined);
          return;
        }
        await db.snapshot.create({
          data: { siteId, nodeId: replica.node.id, name: newest.name, kind: "SCHEDULED", epoch: live.epoch, sizeBytes: BigInt(sent.info.sizeBytes), takenAt: newest.takenAt },
        });
        results.push({ siteId, nodeName: replica.node.name, name: newest.name, parent, bytes: sent.bytes });
      })();
      streaming.set(key, stream);
      try {
        await stream;
      } catch (e) {
        // A replica away misses this round and catches up on a later one from the common snapshot.
        if (e instanceof AgentUnreachableError) return;
        // 409: another sender (another worker) got it there first and records it.
        if (e instanceof AgentRejectedError && e.status === 409) return;
        throw e;
      } finally {
        streaming.delete(key);
      }
    }),
  );
  return results;
}
