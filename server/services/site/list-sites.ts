import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { resolveAccount } from "../account/resolve-account";
import type { OperationView } from "../operation/operation-select";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";
import { latestSiteOperations } from "./latest-operations";
import { appAdminRevealable, latestCreateStatuses, siteUrl } from "./reveal-app-admin";
import { siteSelect, type SiteRow } from "./site-select";

export type ListSitesInput = PageInput & { accountId?: string | null };
export type SiteListItem = SiteRow & {
  latestOperation: OperationView | null;
  /** http://<domain>/, for the "Open site" link. */
  url: string;
  /** Whether site.revealAppAdmin would show the app's admin login now. */
  appAdminRevealable: boolean;
};

/** Adds what a site row shows beside its columns: progress, its address, the once-only login. */
export async function toSiteItems(rows: SiteRow[]): Promise<SiteListItem[]> {
  const ids = rows.map((s) => s.id);
  const [ops, creates] = await Promise.all([latestSiteOperations(ids), latestCreateStatuses(ids)]);
  return rows.map((s) => ({
    ...s,
    latestOperation: ops.get(s.id) ?? null,
    url: siteUrl(s.domain.name),
    appAdminRevealable: appAdminRevealable({ app: s.app, appAdminShownAt: s.appAdminShownAt, createStatus: creates.get(s.id) ?? null }),
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
  return { items: await toSiteItems(page.items), nextCursor: page.nextCursor };
}
