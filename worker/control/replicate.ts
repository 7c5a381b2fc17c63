import type { Db } from "../../server/db";
import { agentClient, AgentRejectedError, AgentUnreachableError } from "../../server/cluster/agent-client";
import { replacedNodeNames } from "../../server/domain/re-replication";

// Replicas follow the live node's snapshots: the newest snapshot of a site goes to each of its
// replica nodes incrementally, from the newest snapshot both nodes already hold (so a node that
// was away catches up from its last common snapshot, not from scratch). A replica that holds no
// common snapshot gets a full stream. The Snapshot rows are the record of what each node holds.

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
  for (const replica of placements.filter((p) => p.role === "REPLICA" && p.node.status === "HEALTHY" && (!opts.seed || p.node.id === opts.seed))) {
    const held = new Set(rows.filter((r) => r.nodeId === replica.node.id).map((r) => r.name));
    if (held.has(newest.name)) continue;
    // A new re-replica's first, full copy is its seed's to send: two full streams at once would
    // double the traffic a node loss causes.
    if (!opts.seed && held.size === 0 && replacedNodeNames(replica.reason) !== null) continue;
    const onSource = rows.filter((r) => r.nodeId === live.node.id && r.kind === "SCHEDULED");
    const parent = onSource.find((r) => held.has(r.name) && r.takenAt < newest.takenAt)?.name ?? null;
    try {
      const sent = await source.sendSnapshotTo(agentClient(replica.node, { clusterSecret }), siteId, newest.name, parent);
      // Released meanwhile (re-replicate.ts): its store goes with the node's next converge, so no row.
      if ((await db.placement.count({ where: { id: replica.id } })) === 0) continue;
      await db.snapshot.create({
        data: { siteId, nodeId: replica.node.id, name: newest.name, kind: "SCHEDULED", epoch: live.epoch, sizeBytes: BigInt(sent.info.sizeBytes), takenAt: newest.takenAt },
      });
      results.push({ siteId, nodeName: replica.node.name, name: newest.name, parent, bytes: sent.bytes });
    } catch (e) {
      // A replica away misses this round and catches up on a later one from the common snapshot.
      if (e instanceof AgentUnreachableError) continue;
      // 409: another sender (a seed and a snapshot tick at once) got it there first and records it.
      if (e instanceof AgentRejectedError && e.status === 409) continue;
      throw e;
    }
  }
  return results;
}
