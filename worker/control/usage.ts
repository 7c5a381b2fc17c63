import type { Db } from "../../server/db";
import { agentClient, AgentUnreachableError } from "./agent-client";
import type { UsageReport } from "../../server/contract/node-usage";
import type { Log } from "../../server/observability/logger";

// Usage accounting: asks each node that serves sites how much disk they take (GET /v1/usage,
// worker/agent/storage/usage.ts) and records it on each Site served there: files, databases (the
// dumps in its volume plus MariaDB's files of its databases) and what its snapshots alone hold.
// The panel counts the three against the plan's disk. Nodes are asked side by side, each with its
// own timeout, so a hung node leaves its sites' last figures in place and stalls nobody else.

export type UsageTickOptions = { timeoutMs?: number; log?: Log };

export type UsageTickResult = { nodes: number; sitesUpdated: number; skipped: { node: string; reason: string }[] };

export async function collectUsage(db: Db, clusterSecret: string, opts: UsageTickOptions = {}): Promise<UsageTickResult> {
  const placements = await db.placement.findMany({
    where: { role: "PRIMARY", node: { status: { not: "DEAD" } }, site: { deletedAt: null } },
    select: {
      node: { select: { id: true, name: true, address: true, agentPort: true } },
      site: { select: { id: true, databases: { where: { deletedAt: null }, select: { name: true } } } },
    },
  });
  const byNode = new Map<string, { node: (typeof placements)[number]["node"]; sites: (typeof placements)[number]["site"][] }>();
  for (const p of placements) {
    const entry = byNode.get(p.node.id) ?? { node: p.node, sites: [] };
    entry.sites.push(p.site);
    byNode.set(p.node.id, entry);
  }
  const result: UsageTickResult = { nodes: byNode.size, sitesUpdated: 0, skipped: [] };
  await Promise.all(
    [...byNode.values()].map(async ({ node, sites }) => {
      let report: UsageReport;
      try {
        report = await agentClient(node, { clusterSecret }).usage(opts.timeoutMs ?? 20_000);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        result.skipped.push({ node: node.name, reason });
        if (!(e instanceof AgentUnreachableError)) opts.log?.(`usage of node ${node.name}: ${reason}`, { nodeId: node.id });
        return;
      }
      if (!report.consistent) result.skipped.push({ node: node.name, reason: "its btrfs quota numbers are being rescanned" });
      const reported = new Map(report.sites.map((s) => [s.siteId, s]));
      const dbBytes = new Map(report.databases.map((d) => [d.name, d.bytes]));
      const at = new Date(report.measuredAt);
      for (const site of sites) {
        const u = reported.get(site.id);
        // Not (yet) live there, or numbers being rescanned: the last figures stay.
        if (!u || u.filesBytes === null || u.snapshotBytes === null) continue;
        const databaseBytes = u.dumpBytes + site.databases.reduce((sum, d) => sum + (dbBytes.get(d.name) ?? 0), 0);
        // Only while the site is still served there: a move that finished meanwhile has its own node report.
        const { count } = await db.site.updateMany({
          where: { id: site.id, deletedAt: null, placements: { some: { nodeId: node.id, role: "PRIMARY" } } },
          data: { filesBytes: BigInt(u.filesBytes), databaseBytes: BigInt(databaseBytes), snapshotBytes: BigInt(u.snapshotBytes), usageAt: at },
        });
        result.sitesUpdated += count;
      }
    }),
  );
  return result;
}
