import type { Db } from "../../server/db";
import { agentClient } from "./agent-client";
import { buildZones } from "./build-zones";
import type { Log } from "../../server/observability/logger";

// Sends every zone to every node that answers DNS (not DEAD or PENDING) at once, between
// converges: a record change or a node leaving the healthy set reaches the answers in one round
// trip instead of waiting for each node's reconcile (which carries the same zones in its spec and
// repairs a node this push missed). Safe in any order: a node keeps a zone whose serial is
// higher than the one sent (worker/agent/drivers/pdns.ts), and serials only rise.

export async function publishZones(ctx: { db: Db; clusterSecret: string; log?: Log }): Promise<{ applied: string[]; failed: string[] }> {
  const [{ zones }, nodes] = await Promise.all([
    buildZones(ctx.db),
    ctx.db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { id: true, name: true, address: true, agentPort: true } }),
  ]);
  const applied: string[] = [];
  const failed: string[] = [];
  await Promise.all(
    nodes.map(async (n) => {
      try {
        const answer = await agentClient(n, { clusterSecret: ctx.clusterSecret }).putZones({ zones });
        if (!answer.ok) throw new Error(answer.results.flatMap((r) => (r.ok ? [] : [r.error])).join("; "));
        applied.push(n.name);
      } catch (e) {
        failed.push(n.name);
        ctx.log?.(`zones to ${n.name}: ${e instanceof Error ? e.message : String(e)} (its reconcile brings them)`, { nodeId: n.id });
      }
    }),
  );
  return { applied, failed };
}
