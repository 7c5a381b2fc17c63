import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { resolveAccount } from "../account/resolve-account";
import type { OperationView } from "../operation/operation-select";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";
import { latestSiteOperations } from "./latest-operations";
import { appAdminRevealable, latestCreateStatuses, siteUrl } from "./reveal-app-admin";
import { siteSelect, type SiteRow } from "./site-select";

export type ListSitesInput = PageInput & { accountId?: string | null };
/** A site's disk use on its live node (worker/control/usage.ts); null until first measured. */
export type SiteUsageView = { filesBytes: number; databaseBytes: number; snapshotBytes: number; totalBytes: number; measuredAt: Date } | null;

export type SiteListItem = Omit<SiteRow, "filesBytes" | "databaseBytes" | "snapshotBytes" | "usageAt"> & {
  /** Files + databases + snapshots, what counts against the plan's disk. */
  usage: SiteUsageView;
  latestOperation: OperationView | null;
  /** http://<domain>/, for the "Open site" link. */
  url: string;
  /** Whether site.revealAppAdmin would show the app's admin login now. */
  appAdminRevealable: boolean;
  /**
   * When, in the last 30 days, a node that had served the site came back holding changes the
   * running site lacks (worker/control/rejoin.ts kept them as a DIVERGENT snapshot): the site's
   * row says so and points at its Snapshots.
   */
  divergentAt: Date | null;
};

/** How long the sites list keeps pointing at a divergent copy (it stays in the timeline). */
export const divergentNoticeDays = 30;

/** Adds what a site row shows beside its columns: progress, its address, the once-only login. */
export async function toSiteItems(rows: SiteRow[], scope: Scope): Promise<SiteListItem[]> {
  const ids = rows.map((s) => s.id);
  const since = new Date(Date.now() - divergentNoticeDays * 86_400_000);
  const [ops, creates, divergent] = await Promise.all([
    latestSiteOperations(ids, scope),
    latestCreateStatuses(ids),
    db.snapshot.groupBy({ by: ["siteId"], where: { siteId: { in: ids }, kind: "DIVERGENT", takenAt: { gte: since } }, _max: { takenAt: true } }),
  ]);
  const divergentAt = new Map(divergent.map((d) => [d.siteId, d._max.takenAt]));
  return rows.map(({ filesBytes, databaseBytes, snapshotBytes, usageAt, ...s }) => ({
    ...s,
    usage:
      usageAt === null
        ? null
        : {
            filesBytes: Number(filesBytes ?? 0n),
            databaseBytes: Number(databaseBytes ?? 0n),
            snapshotBytes: Number(snapshotBytes ?? 0n),
            totalBytes: Number((filesBytes ?? 0n) + (databaseBytes ?? 0n) + (snapshotBytes ?? 0n)),
            measuredAt: usageAt,
          },
    latestOperation: ops.get(s.id) ?? null,
    url: siteUrl(s.domain.name),
    appAdminRevealable: appAdminRevealable({ app: s.app, appAdminShownAt: s.appAdminShownAt, createStatus: creates.get(s.id) ?? null }),
    divergentAt: divergentAt.get(s.id) ?? null,
  }));
}

// Sites sort by creation only: that is the (accountId, createdAt, id) index; the domain name a
// person searches for lives on another table.
export async function listSites(scope: Scope, input: ListSitesInput): Promise<Page<SiteListItem>> {
  const account = await resolveAccount(db, scope, input.accountId);
  const search = input.search?.toLowerCase();
  const rows = await db.site.findMany({
    where: {
      AND: [
        { accountId: account.id, deletedAt: null },
        search
          ? {
              domain: {
                OR: [{ name: { contains: search, mode: "insensitive" } }, { displayName: { contains: search, mode: "insensitive" } }],
              },
            }
          : {},
        afterCursor("createdAt", input.direction, input.cursor),
      ],
    },
    orderBy: keysetOrder("createdAt", input.direction),
    take: input.limit + 1,
    select: siteSelect,
  });
  const page = toPage(rows, input.limit, "createdAt");
  return { items: await toSiteItems(page.items, scope), nextCursor: page.nextCursor };
}
