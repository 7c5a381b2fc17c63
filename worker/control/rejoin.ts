import type { Db } from "../../server/db";
import { agentClient, AgentRejectedError, type AgentClient } from "./agent-client";
import { snapshotName } from "../../server/domain/snapshot-name";
import { fencedReasonPrefix } from "./failover";
import type { Log } from "../../server/observability/logger";

// A node that was DEAD is back (heartbeat.ts calls this once its hold-down is over, before it
// marks the node HEALTHY and reconciles it as a replica). For each site it served live when it
// was fenced, what it holds may be ahead of the copy that was promoted: writes after the last
// snapshot that reached the replica, or, in a netsplit, everything its side wrote while cut off.
// The promoted side is the truth, but nothing is thrown away: before the reconcile turns the
// node's copy into a replica (its databases there are dropped), its live state is compared with
// the snapshot the new primary was promoted from; if it differs, it is kept as a DIVERGENT
// snapshot, sent to the live node (incrementally, from that snapshot) so the customer can
// inspect and restore it from the timeline, and the customer is told, in the panel and by mail.

export type RejoinContext = { db: Db; clusterSecret: string; log?: Log };

export type RejoinOutcome = { siteId: string; diverged: boolean; snapshot: string | null; summary: string };

const basePattern = /from snapshot (\S+)$/;

type RejoinedNode = { id: string; name: string; address: string; agentPort: number };
type Fenced = { id: string; siteId: string; epoch: number; reason: string | null };
type FencedSite = NonNullable<Awaited<ReturnType<typeof readSite>>>;

export async function rejoinNode(ctx: RejoinContext, nodeId: string): Promise<RejoinOutcome[]> {
  const { db } = ctx;
  const node = await db.node.findUniqueOrThrow({ where: { id: nodeId }, select: { id: true, name: true, address: true, agentPort: true } });
  const fenced = await db.placement.findMany({
    where: { nodeId, role: "REPLICA", reason: { startsWith: fencedReasonPrefix } },
    select: { id: true, siteId: true, epoch: true, reason: true },
  });
  const outcomes: RejoinOutcome[] = [];
  for (const p of fenced) {
    const outcome = await rejoinSite(ctx, node, p);
    if (outcome) outcomes.push(outcome);
  }
  return outcomes;
}

function readSite(db: Db, siteId: string) {
  return db.site.findUnique({
    where: { id: siteId },
    select: {
      deletedAt: true,
      domain: { select: { name: true } },
      databases: { where: { deletedAt: null }, orderBy: { name: "asc" }, select: { name: true } },
      account: { select: { customer: { select: { id: true, email: true, resellerId: true } } } },
      placements: { where: { role: "PRIMARY" }, select: { node: { select: { id: true, name: true, address: true, agentPort: true, status: true } } } },
    },
  });
}

/** One fenced site: compared with the snapshot it was promoted from, kept aside if it differs. */
async function rejoinSite(ctx: RejoinContext, node: RejoinedNode, p: Fenced): Promise<RejoinOutcome | null> {
  const { db } = ctx;
  const base = basePattern.exec(p.reason ?? "")?.[1];
  const site = await readSite(db, p.siteId);
  const done = (reason: string) => db.placement.update({ where: { id: p.id }, data: { reason } });
  if (!site || site.deletedAt || !base) {
    await done(`rejoined as a replica (${node.name} came back)`);
    return null;
  }
  const agent = agentClient(node, { clusterSecret: ctx.clusterSecret });
  const databases = site.databases.map((d) => d.name);
  let summary: string | null;
  try {
    summary = await divergence(agent, p.siteId, base, databases);
  } catch (e) {
    // Nothing of the site left there (its store was lost with the node): nothing to keep.
    if (e instanceof AgentRejectedError && e.status === 404) {
      await done(`rejoined as a replica: it held no copy of the site any more`);
      return null;
    }
    throw e;
  }
  if (summary === null) {
    await done(`rejoined as a replica: nothing changed after snapshot ${base}`);
    return { siteId: p.siteId, diverged: false, snapshot: null, summary: "no changes" };
  }
  const at = new Date();
  const kept = await keepDivergent(ctx, { node, agent, p, site, base, databases, summary, at });
  await done(`rejoined as a replica; what it held beyond snapshot ${base} (${summary}) is kept as ${kept}`);
  await tellCustomer(ctx, { node, siteId: p.siteId, site, base, snapshot: kept, summary, at });
  return { siteId: p.siteId, diverged: true, snapshot: kept, summary };
}

/** What the node holds beyond the base snapshot, in words ("3 files and database x"), or null for nothing. */
async function divergence(agent: AgentClient, siteId: string, base: string, databases: string[]): Promise<string | null> {
  const preview = await agent.previewRollback(siteId, base, databases);
  const files = preview.files.added + preview.files.removed + preview.files.changed;
  const changedDbs = preview.databases.filter((d) => d.status !== "same" && d.status !== "not-in-snapshot").map((d) => d.name);
  if (files === 0 && changedDbs.length === 0) return null;
  return [files ? `${files} file${files === 1 ? "" : "s"}` : "", changedDbs.length ? `database${changedDbs.length === 1 ? "" : "s"} ${changedDbs.join(", ")}` : ""].filter(Boolean).join(" and ");
}

/** Kept where the customer can reach it: a DIVERGENT snapshot on this node and on the live node. Returns its name. */
async function keepDivergent(
  ctx: RejoinContext,
  k: { node: RejoinedNode; agent: AgentClient; p: Fenced; site: FencedSite; base: string; databases: string[]; summary: string; at: Date },
): Promise<string> {
  const { db } = ctx;
  const { node, agent, p, site, base } = k;
  const info = await agent.createSnapshot(p.siteId, snapshotName("divergent", k.at), k.databases);
  await db.snapshot.create({ data: { siteId: p.siteId, nodeId: node.id, name: info.name, kind: "DIVERGENT", epoch: p.epoch, sizeBytes: BigInt(info.sizeBytes), takenAt: new Date(info.takenAt) } });
  const live = site.placements[0]?.node;
  if (live && live.status === "HEALTHY") {
    try {
      const sent = await agent.sendSnapshotTo(agentClient(live, { clusterSecret: ctx.clusterSecret }), p.siteId, info.name, base);
      await db.snapshot.create({ data: { siteId: p.siteId, nodeId: live.id, name: info.name, kind: "DIVERGENT", epoch: p.epoch, sizeBytes: BigInt(sent.info.sizeBytes), takenAt: new Date(info.takenAt) } });
      ctx.log?.(`rejoin ${node.name}: divergent copy of ${site.domain.name} (${k.summary}) sent to ${live.name}, ${sent.bytes} bytes from ${base}`);
    } catch (e) {
      // It stays on the rejoined node, which keeps non-scheduled snapshots; the customer is told anyway.
      ctx.log?.(`rejoin ${node.name}: divergent copy of ${site.domain.name} kept there only: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return info.name;
}

/** Audited, and the customer is told by mail. */
async function tellCustomer(
  ctx: RejoinContext,
  t: { node: RejoinedNode; siteId: string; site: FencedSite; base: string; snapshot: string; summary: string; at: Date },
): Promise<void> {
  const { site, summary, at } = t;
  const customer = site.account.customer;
  await ctx.db.auditEvent.create({
    data: { resellerId: customer.resellerId, customerId: customer.id, actorEmail: "failover", action: "site.diverged", targetType: "Site", targetId: t.siteId, after: { node: t.node.name, snapshot: t.snapshot, base: t.base, changes: summary } },
  });
  await notifyCustomer(ctx, {
    resellerId: customer.resellerId,
    to: customer.email,
    domain: site.domain.name,
    subject: `Changes to ${site.domain.name} were kept aside`,
    text: `A server that hosted ${site.domain.name} stopped answering at some point, and your site was switched to another server from its last copy. The stopped server has come back holding changes that the running site does not have (${summary}).\n\nNothing was thrown away: those changes are kept as a snapshot taken ${at.toISOString()}. Open your site's Snapshots in the panel to see what differs and restore it if you want it back.`,
    html: (escapeHtml) => `<p>A server that hosted <strong>${escapeHtml(site.domain.name)}</strong> stopped answering at some point, and your site was switched to another server from its last copy. The stopped server has come back holding changes that the running site does not have (${escapeHtml(summary)}).</p><p>Nothing was thrown away: those changes are kept as a snapshot taken ${escapeHtml(at.toISOString())}. Open your site's <strong>Snapshots</strong> in the panel to see what differs and restore it if you want it back.</p>`,
  });
}

/**
 * The customer's mail, under their reseller's brand (the panel's mail code, which needs the
 * panel's env, PANEL_URL among it: imported only here, so a control worker without that env still
 * starts, and says in its log that it could not send). The DIVERGENT snapshot in the timeline and
 * the site page's notice tell the customer in the panel either way.
 */
async function notifyCustomer(
  ctx: RejoinContext,
  mail: { resellerId: string; to: string; domain: string; subject: string; text: string; html: (escape: (v: string) => string) => string },
): Promise<void> {
  try {
    const [{ sendMail }, { escapeHtml }] = await Promise.all([import("../../server/services/mail/send-mail"), import("../../server/services/mail/escape-html")]);
    await sendMail({ resellerId: mail.resellerId, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html(escapeHtml) }, ctx.db);
  } catch (e) {
    ctx.log?.(`rejoin: could not queue the mail about ${mail.domain} to ${mail.to}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
