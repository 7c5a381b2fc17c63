import type { Db } from "../../server/db";
import { agentClient } from "../../server/cluster/agent-client";
import { nodeMetricsSchema } from "../../server/cluster/node-metrics";

// Every second (a BullMQ job scheduler: one tick across all workers) each agent is asked for its
// metrics; an answer is the node's heartbeat. A node that stops answering turns DEGRADED after
// `degradedAfterMs` and DEAD after `deadAfterMs` (the failover issue adds peer confirmation before
// anything is moved). A node that answers again becomes HEALTHY and is reconciled in full, so
// whatever changed while it was away is applied.

export type HeartbeatOptions = { degradedAfterMs?: number; deadAfterMs?: number };

export async function collectHeartbeats(db: Db, clusterSecret: string, onRecovered: (nodeId: string) => Promise<void>, opts: HeartbeatOptions = {}): Promise<void> {
  const degradedAfter = opts.degradedAfterMs ?? 3_000;
  const deadAfter = opts.deadAfterMs ?? 15_000;
  const nodes = await db.node.findMany({ select: { id: true, name: true, address: true, agentPort: true, status: true, lastHeartbeatAt: true } });
  await Promise.all(
    nodes.map(async (node) => {
      const now = new Date();
      try {
        const metrics = await agentClient(node, { clusterSecret }).metrics(nodeMetricsSchema);
        const status = node.status === "DRAINING" ? "DRAINING" : "HEALTHY";
        await db.node.update({ where: { id: node.id }, data: { lastHeartbeatAt: now, metrics, status } });
        if (node.status !== "HEALTHY" && node.status !== "DRAINING") await onRecovered(node.id);
      } catch {
        const silentFor = now.getTime() - (node.lastHeartbeatAt?.getTime() ?? 0);
        const status = silentFor > deadAfter ? "DEAD" : silentFor > degradedAfter ? "DEGRADED" : node.status;
        if (status !== node.status && node.status !== "PENDING" && node.status !== "DRAINING") {
          await db.node.update({ where: { id: node.id }, data: { status } });
        }
      }
    }),
  );
}
