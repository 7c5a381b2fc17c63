import { db } from "../../db";
import { AppError } from "../../errors";
import { siteWhere, type Scope } from "../../auth/scope";
import { latestSiteOperations } from "./latest-operations";
import { siteSelect } from "./site-select";
import type { SiteListItem } from "./list-sites";

export async function getSite(scope: Scope, input: { id: string; accountId?: string | null }): Promise<SiteListItem> {
  const site = await db.site.findFirst({
    where: { id: input.id, deletedAt: null, ...(input.accountId ? { accountId: input.accountId } : {}), ...siteWhere(scope) },
    select: siteSelect,
  });
  if (!site) throw AppError.notFound("Site");
  const ops = await latestSiteOperations([site.id]);
  return { ...site, latestOperation: ops.get(site.id) ?? null };
}
