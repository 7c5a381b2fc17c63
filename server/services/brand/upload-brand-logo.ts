import { resellerWhere } from "../../auth/scope";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { brandSelect, toBrandView, type BrandView } from "./brand-view";
import { normaliseLogo } from "./normalise-logo";

export async function uploadBrandLogo(
  actor: Actor,
  input: { resellerId?: string | null; logoBase64: string },
): Promise<BrandView> {
  const resellerId = input.resellerId ?? actor.scope.resellerId;
  // Tenancy first: someone else's reseller id must read as not found, not as an image error.
  const owned = await db.brand.findFirst({
    where: { resellerId, reseller: resellerWhere(actor.scope) },
    select: { resellerId: true },
  });
  if (!owned) throw AppError.notFound("Brand");

  // Decoding happens outside the transaction: it can take a while and needs no database.
  const logo = await normaliseLogo(Buffer.from(input.logoBase64, "base64"));

  return db.$transaction(async (tx) => {
    const before = await tx.brand.findFirst({
      where: { resellerId, reseller: resellerWhere(actor.scope) },
      select: { logoWidth: true, logoHeight: true, logoUpdatedAt: true },
    });
    if (!before) throw AppError.notFound("Brand");
    const row = await tx.brand.update({
      where: { resellerId },
      data: { logoPng: logo.png, logoWidth: logo.width, logoHeight: logo.height, logoUpdatedAt: new Date() },
      select: brandSelect,
    });
    await recordChange(tx, actor, {
      action: "brand.uploadLogo",
      targetType: "Brand",
      targetId: resellerId,
      resellerId,
      before: before.logoUpdatedAt ? { logo: { width: before.logoWidth, height: before.logoHeight } } : { logo: null },
      after: { logo: { width: logo.width, height: logo.height, bytes: logo.png.length } },
    });
    return toBrandView(row);
  });
}
