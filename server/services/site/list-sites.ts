import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { resolveAccount } from "../account/resolve-account";
import type { OperationView } from "../operation/operation-select";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";
import { latestSiteOperations } from "./latest-operations";
import { siteSelect, type SiteRow } from "./site-select";

export type ListSitesInput = PageInput & { accountId?: string | null };
export type SiteListItem = SiteRow & { latestOperation: OperationView | null };

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
  const ops = await latestSiteOperations(page.items.map((s) => s.id));
  return { items: page.items.map((s) => ({ ...s, latestOperation: ops.get(s.id) ?? null })), nextCursor: page.nextCursor };
}
