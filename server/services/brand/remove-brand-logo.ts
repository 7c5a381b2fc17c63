import { resellerWhere } from "../../auth/scope";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { brandSelect, toBrandView, type BrandView } from "./brand-view";

/** Removing a logo that is not there changes nothing and records nothing. */
export async function removeBrandLogo(actor: Actor, input: { resellerId?: string | null }): Promise<BrandView> {
  const resellerId = input.resellerId ?? actor.scope.resellerId;
  return db.$transaction(async (tx) => {
    const before = await tx.brand.findFirst({
      where: { resellerId, reseller: resellerWhere(actor.scope) },
      select: { logoWidth: true, logoHeight: true, logoUpdatedAt: true },
    });
    if (!before) throw AppError.notFound("Brand");
    if (before.logoUpdatedAt) {
      await tx.brand.update({
        where: { resellerId },
        data: { logoPng: null, logoWidth: null, logoHeight: null, logoUpdatedAt: null },
      });
      await recordChange(tx, actor, {
        action: "brand.removeLogo",
        targetType: "Brand",
        targetId: resellerId,
        resellerId,
        before: { logo: { width: before.logoWidth, height: before.logoHeight } },
        after: { logo: null },
      });
    }
    const row = await tx.brand.findUniqueOrThrow({ where: { resellerId }, select: brandSelect });
    return toBrandView(row);
  });
}
