import { db } from "../../db";
import type { Prisma } from "../../generated/prisma/client";
import type { NodeStatus } from "../../generated/prisma/enums";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";
import { nodeSelect, toNodeView, type NodeView } from "./node-fields";

export type NodeSort = "name" | "createdAt";

/** The whole fleet at a glance, whatever page or search the table shows. */
export type FleetSummary = { nodes: number; byStatus: Record<NodeStatus, number>; sites: number };

async function fleetSummary(): Promise<FleetSummary> {
  const [groups, sites] = await Promise.all([
    db.node.groupBy({ by: ["status"], _count: { _all: true } }),
    // A site counts once, on the node that serves it; replicas are copies, not more sites.
    db.placement.count({ where: { role: "PRIMARY" } }),
  ]);
  const byStatus: Record<NodeStatus, number> = { PENDING: 0, HEALTHY: 0, DEGRADED: 0, DEAD: 0, DRAINING: 0 };
  for (const g of groups) byStatus[g.status] = g._count._all;
  return { nodes: groups.reduce((n, g) => n + g._count._all, 0), byStatus, sites };
}

export async function listNodes(input: PageInput & { sort: NodeSort }): Promise<Page<NodeView> & { summary: FleetSummary }> {
  const where: Prisma.NodeWhereInput = {
    AND: [
      input.search ? { name: { contains: input.search, mode: "insensitive" } } : {},
      afterCursor(input.sort, input.direction, input.cursor),
    ],
  };
  const [rows, summary] = await Promise.all([
    db.node.findMany({
      where,
      orderBy: keysetOrder(input.sort, input.direction),
      take: input.limit + 1,
      select: nodeSelect,
    }),
    fleetSummary(),
  ]);
  const now = new Date();
  return { ...toPage(rows.map((r) => toNodeView(r, now)), input.limit, input.sort), summary };
}
