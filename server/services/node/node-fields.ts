import type { Prisma } from "../../generated/prisma/client";

/** The columns an admin sets when registering or editing a node. */
export type NodeSpec = {
  name: string;
  address: string;
  agentPort: number;
  capacitySites: number;
  capacityDiskMb: number;
  capacityCpus: number;
  capacityMemoryMb: number;
};

export const nodeSelect = {
  id: true,
  name: true,
  address: true,
  agentPort: true,
  status: true,
  lastHeartbeatAt: true,
  capacitySites: true,
  capacityDiskMb: true,
  capacityCpus: true,
  capacityMemoryMb: true,
  generation: true,
  observedGeneration: true,
  createdAt: true,
  updatedAt: true,
  // "Sites" on a node means the sites it serves live; replicas are counted separately.
  _count: { select: { placements: { where: { role: "PRIMARY" } } } },
} satisfies Prisma.NodeSelect;

export type NodeRow = Prisma.NodeGetPayload<{ select: typeof nodeSelect }>;

export function toNodeView(row: NodeRow) {
  const { _count, ...rest } = row;
  return { ...rest, siteCount: _count.placements };
}

export type NodeView = ReturnType<typeof toNodeView>;

/** Audit summary of a node's spec (what an operator reading the log needs, nothing more). */
export function specSummary(spec: NodeSpec): Prisma.InputJsonValue {
  return { ...spec };
}
