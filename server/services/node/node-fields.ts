import type { Prisma } from "../../generated/prisma/client";
import { nodeMetricsSchema } from "../../contract/node-metrics";
import { defaultSuspectAfterMs, heartbeatSilenceSec } from "../../domain/control-plane-health";

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
  lastAppliedAt: true,
  lastError: true,
  // Read to compute the figures below; the JSON itself never leaves the server.
  metrics: true,
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

/** The heartbeat figures the nodes page shows; null until a valid heartbeat has been stored. */
export type NodeLoad = {
  cpuPct: number;
  load1: number;
  cores: number;
  memoryUsedMb: number;
  memoryTotalMb: number;
  diskUsedMb: number;
  diskTotalMb: number;
  /** Front-door requests per second over all its hosts, in the agent's last window. */
  requestsPerSec: number;
};

// Node.metrics was validated before it was written, but it is JSON from a node and its shape may
// be older than this code: parse again, and show nothing rather than something wrong.
export function nodeLoad(metrics: unknown): NodeLoad | null {
  const parsed = nodeMetricsSchema.safeParse(metrics);
  if (!parsed.success) return null;
  const m = parsed.data;
  return {
    cpuPct: m.cpu.usagePct,
    load1: m.cpu.load1,
    cores: m.cpu.cores,
    memoryUsedMb: Math.max(0, m.memory.totalMb - m.memory.availableMb),
    memoryTotalMb: m.memory.totalMb,
    diskUsedMb: m.disk.usedMb,
    diskTotalMb: m.disk.totalMb,
    requestsPerSec: Object.values(m.sites).reduce((sum, s) => sum + s.requestsPerSec, 0),
  };
}

/**
 * A node as the admin sees it. `suspectAfterMs` is the failure detector's window
 * (readSuspectWindow): past it, `silentSec` says how long the node has been silent, and the
 * status it carries is not shown as its health (nobody has observed it since).
 */
export function toNodeView(row: NodeRow, now: Date = new Date(), suspectAfterMs = defaultSuspectAfterMs) {
  const { _count, metrics, ...rest } = row;
  return {
    ...rest,
    siteCount: _count.placements,
    // Measured against the server's clock (which wrote lastHeartbeatAt), not the browser's.
    heartbeatAgeSec: row.lastHeartbeatAt ? Math.max(0, Math.floor((now.getTime() - row.lastHeartbeatAt.getTime()) / 1000)) : null,
    silentSec: heartbeatSilenceSec(row.status, row.lastHeartbeatAt, now, suspectAfterMs),
    load: nodeLoad(metrics),
  };
}

export type NodeView = ReturnType<typeof toNodeView>;

/** Audit summary of a node's spec (what an operator reading the log needs, nothing more). */
export function specSummary(spec: NodeSpec): Prisma.InputJsonValue {
  return { ...spec };
}
