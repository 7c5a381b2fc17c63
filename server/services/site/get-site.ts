import { db } from "../../db";
import { AppError } from "../../errors";
import { siteWhere, type Scope } from "../../auth/scope";
import { siteSelect } from "./site-select";
import { toSiteItems, type SiteListItem } from "./list-sites";

export async function getSite(scope: Scope, input: { id: string; accountId?: string | null }): Promise<SiteListItem> {
  const site = await db.site.findFirst({
    where: { id: input.id, deletedAt: null, ...(input.accountId ? { accountId: input.accountId } : {}), ...siteWhere(scope) },
    select: siteSelect,
  });
  if (!site) throw AppError.notFound("Site");
  const [item] = await toSiteItems([site], scope);
  return item!;
}
