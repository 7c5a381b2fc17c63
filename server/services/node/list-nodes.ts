import { db } from "../../db";
import type { Prisma } from "../../generated/prisma/client";
import type { NodeStatus } from "../../generated/prisma/enums";
import { heartbeatSilenceSec } from "../../domain/control-plane-health";
import { readSuspectWindow } from "../health/read-suspect-window";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";
import { nodeSelect, toNodeView, type NodeView } from "./node-fields";

export type NodeSort = "name" | "createdAt";

/**
 * The whole fleet at a glance, whatever page or search the table shows. A node silent past the
 * suspect window counts as `silent`, not under the status it last had.
 */
export type FleetSummary = { nodes: number; byStatus: Record<NodeStatus, number>; silent: number; sites: number };

async function fleetSummary(now: Date, suspectAfterMs: number): Promise<FleetSummary> {
  const [nodes, sites] = await Promise.all([
    db.node.findMany({ select: { status: true, lastHeartbeatAt: true } }),
    // A site counts once, on the node that serves it; replicas are copies, not more sites.
    db.placement.count({ where: { role: "PRIMARY" } }),
  ]);
  const byStatus: Record<NodeStatus, number> = { PENDING: 0, HEALTHY: 0, DEGRADED: 0, DEAD: 0, DRAINING: 0 };
  let silent = 0;
  for (const n of nodes) {
    if (heartbeatSilenceSec(n.status, n.lastHeartbeatAt, now, suspectAfterMs) !== null) silent++;
    else byStatus[n.status]++;
  }
  return { nodes: nodes.length, byStatus, silent, sites };
}

export async function listNodes(input: PageInput & { sort: NodeSort }): Promise<Page<NodeView> & { summary: FleetSummary }> {
  const where: Prisma.NodeWhereInput = {
    AND: [
      input.search ? { name: { contains: input.search, mode: "insensitive" } } : {},
      afterCursor(input.sort, input.direction, input.cursor),
    ],
  };
  const now = new Date();
  const suspectAfterMs = await readSuspectWindow(db);
  const [rows, summary] = await Promise.all([
    db.node.findMany({
      where,
      orderBy: keysetOrder(input.sort, input.direction),
      take: input.limit + 1,
      select: nodeSelect,
    }),
    fleetSummary(now, suspectAfterMs),
  ]);
  return { ...toPage(rows.map((r) => toNodeView(r, now, suspectAfterMs)), input.limit, input.sort), summary };
}
