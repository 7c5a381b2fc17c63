import type { Db } from "../../server/db";
import { agentClient } from "./agent-client";
import { readRouteTable } from "./read-route-table";
import { withViaHold } from "../../server/domain/move-steps";

// Pushes the current route table to every edge that is not DEAD or PENDING, at once, holding
// their reconcile leases (so no reconcile pushes a table it read before this change). Used by
// the switch-overs that cannot wait for the reconciles: a move's pause and release, a failover.
// The epochs make an older table harmless on an edge that missed a push; the sweep brings it
// up to date (appliedRoutesVersion).

export type WithLeases = <T>(nodeIds: string[], fn: () => Promise<T>) => Promise<T>;

export type PublishOptions = {
  /** The site whose route goes through every edge's hold service (a move in progress). */
  viaHold?: string;
  /** Nodes whose leases the caller already holds. */
  held?: readonly string[];
  /**
   * "throw" (a move: a switch that some edge did not take must not go on) or "skip" (a failover:
   * an edge that does not answer is left to the sweep, the others must not wait for it).
   */
  onFailure?: "throw" | "skip";
};

export type PublishResult = { version: bigint; applied: string[]; reloaded: string[]; failed: { nodeName: string; error: string }[] };

export async function publishRoutes(ctx: { db: Db; clusterSecret: string; withLeases: WithLeases }, opts: PublishOptions = {}): Promise<PublishResult> {
  const nodes = await ctx.db.node.findMany({ where: { status: { notIn: ["DEAD", "PENDING"] } }, select: { id: true, name: true, address: true, agentPort: true } });
  const held = new Set(opts.held ?? []);
  const result = await ctx.withLeases(
    nodes.map((n) => n.id).filter((id) => !held.has(id)),
    async () => {
      const table = await readRouteTable(ctx.db);
      const routes = opts.viaHold ? withViaHold(table.routes, opts.viaHold) : table.routes;
      const out: PublishResult & { errors: unknown[] } = { version: table.version, applied: [], reloaded: [], failed: [], errors: [] };
      await Promise.all(
        nodes.map(async (n) => {
          try {
            const answer = await agentClient(n, { clusterSecret: ctx.clusterSecret }).putRoutes({ routes });
            if (answer.reloaded) out.reloaded.push(n.name);
            await ctx.db.node.updateMany({ where: { id: n.id, appliedRoutesVersion: { lt: table.version } }, data: { appliedRoutesVersion: table.version } });
            out.applied.push(n.name);
          } catch (e) {
            out.errors.push(e);
            out.failed.push({ nodeName: n.name, error: e instanceof Error ? e.message : String(e) });
          }
        }),
      );
      return out;
    },
  );
  if ((opts.onFailure ?? "throw") === "throw" && result.errors.length > 0) throw result.errors[0];
  const { errors: _, ...published } = result;
  return published;
}
