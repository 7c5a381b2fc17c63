import type { Db } from "../../server/db";
import { agentClient, AgentUnreachableError } from "./agent-client";
import type { AccountUsage, UsageReport } from "../../server/contract/node-usage";
import type { Log } from "../../server/observability/logger";

// Usage accounting: asks each node that serves sites how much disk they take (GET /v1/usage,
// worker/agent/storage/usage.ts) and records it on each Site served there: files, databases (the
// dumps in its volume plus MariaDB's files of its databases) and what its snapshots alone hold.
// The panel counts the three against the plan's disk. Nodes are asked side by side, each with its
// own timeout, so a hung node leaves its sites' last figures in place and stalls nobody else.
// Each account's figures against its limits on the node (disk quota, cgroup counters) are kept per
// account per node (AccountNodeUsage), newest only: the customer's dashboard shows them.

export type UsageTickOptions = { timeoutMs?: number; log?: Log };

export type UsageTickResult = { nodes: number; sitesUpdated: number; accountsUpdated: number; skipped: { node: string; reason: string }[] };

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
  const result: UsageTickResult = { nodes: byNode.size, sitesUpdated: 0, accountsUpdated: 0, skipped: [] };
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
      result.accountsUpdated += await storeAccountUsage(db, node.id, report.accounts, at);
    }),
  );
  return result;
}

/**
 * One node's report of its accounts, replacing what it said last time: an account it no longer
 * reports (its sites left the node) loses its row there. A disk figure the node cannot give right
 * now (a btrfs rescan) keeps the last one.
 */
async function storeAccountUsage(db: Db, nodeId: string, reported: AccountUsage[], at: Date): Promise<number> {
  const accounts = await db.hostingAccount.findMany({
    where: { username: { in: reported.map((a) => a.username) }, deletedAt: null },
    select: { id: true, username: true },
  });
  const idOf = new Map(accounts.map((a) => [a.username, a.id]));
  const big = (n: number | null) => (n === null ? null : BigInt(n));
  let stored = 0;
  for (const u of reported) {
    const accountId = idOf.get(u.username);
    if (!accountId) continue;
    const figures = {
      ...(u.diskBytes === null ? {} : { diskBytes: BigInt(u.diskBytes) }),
      diskLimitBytes: big(u.diskLimitBytes),
      atDiskLimit: u.atDiskLimit,
      memoryBytes: big(u.memoryBytes),
      memoryLimitBytes: big(u.memoryLimitBytes),
      memoryLimitHits: BigInt(u.memoryLimitHits),
      oomKills: BigInt(u.oomKills),
      cpuThrottledPeriods: BigInt(u.cpuThrottledPeriods),
      cpuThrottledUsec: BigInt(u.cpuThrottledUsec),
      pids: u.pids,
      pidsLimit: u.pidsLimit,
      pidsLimitHits: BigInt(u.pidsLimitHits),
      measuredAt: at,
    };
    await db.accountNodeUsage.upsert({ where: { accountId_nodeId: { accountId, nodeId } }, create: { accountId, nodeId, ...figures }, update: figures });
    stored++;
  }
  await db.accountNodeUsage.deleteMany({ where: { nodeId, accountId: { notIn: [...idOf.values()] } } });
  return stored;
}
