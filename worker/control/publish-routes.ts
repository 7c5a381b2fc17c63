import type { Db } from "../../server/db";
import { agentClient } from "../../server/cluster/agent-client";
import { readRouteTable } from "../../server/cluster/route-table";

// Pushes the current route table to every edge that is not DEAD or PENDING, at once, holding
// their reconcile leases (so no reconcile pushes a table it read before this change). Used by
// the switch-overs that cannot wait for the reconciles: a move's pause and release, a failover.
// An edge that does not answer is skipped, not waited for: the sweep brings it up to date
// (appliedRoutesVersion), and the epochs make an older table harmless meanwhile.

export type WithLeases = <T>(nodeIds: string[], fn: () => Promise<T>) => Promise<T>;

export type PublishResult = { version: bigint; applied: string[]; failed: { nodeName: string; error: string }[] };

export async function publishRoutes(ctx: { db: Db; clusterSecret: string; withLeases: WithLeases }): Promise<PublishResult> {
  const nodes = await ctx.db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { id: true, name: true, address: true, agentPort: true } });
  return ctx.withLeases(
    nodes.map((n) => n.id),
    async () => {
      const table = await readRouteTable(ctx.db);
      const applied: string[] = [];
      const failed: PublishResult["failed"] = [];
      await Promise.all(
        nodes.map(async (n) => {
          try {
            await agentClient(n, { clusterSecret: ctx.clusterSecret, timeoutMs: 10_000 }).putRoutes({ routes: table.routes });
            await ctx.db.node.updateMany({ where: { id: n.id, appliedRoutesVersion: { lt: table.version } }, data: { appliedRoutesVersion: table.version } });
            applied.push(n.name);
          } catch (e) {
            failed.push({ nodeName: n.name, error: e instanceof Error ? e.message : String(e) });
          }
        }),
      );
      return { version: table.version, applied, failed };
    },
  );
}
