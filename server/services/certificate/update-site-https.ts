import { db } from "../../db";
import { siteWhere } from "../../auth/scope";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";

// "Redirect HTTP to HTTPS" and HSTS for one site. They are rendered with the site's certificate
// (worker/edge/render-tls.ts), so they take effect where a certificate is served; switching them
// on before one is issued is allowed and waits for it.

export async function updateSiteHttps(actor: Actor, input: { siteId: string; redirectHttps: boolean; hsts: boolean }): Promise<{ redirectHttps: boolean; hsts: boolean }> {
  return db.$transaction(async (tx) => {
    const site = await tx.site.findFirst({
      where: { id: input.siteId, deletedAt: null, ...siteWhere(actor.scope) },
      select: { id: true, redirectHttps: true, hsts: true, certificate: { select: { id: true } }, account: { select: { customer: { select: { id: true, resellerId: true } } } } },
    });
    if (!site) throw AppError.notFound("Site");
    if (site.redirectHttps === input.redirectHttps && site.hsts === input.hsts) return { redirectHttps: site.redirectHttps, hsts: site.hsts };
    await tx.site.update({ where: { id: site.id }, data: { redirectHttps: input.redirectHttps, hsts: input.hsts } });
    await recordChange(tx, actor, {
      action: "site.https",
      targetType: site.certificate ? "Certificate" : "Site",
      targetId: site.certificate?.id ?? site.id,
      resellerId: site.account.customer.resellerId,
      customerId: site.account.customer.id,
      before: { redirectHttps: site.redirectHttps, hsts: site.hsts },
      after: { redirectHttps: input.redirectHttps, hsts: input.hsts },
      // Without a certificate nothing on the edges changes yet.
      ...(site.certificate ? { outbox: { topic: "certificate.changed" as const } } : {}),
    });
    return { redirectHttps: input.redirectHttps, hsts: input.hsts };
  });
}
