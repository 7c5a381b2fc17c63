import { resellerWhere, type Scope } from "../../auth/scope";
import { db } from "../../db";
import { AppError } from "../../errors";
import { brandSelect, toBrandView, type BrandView } from "./brand-view";

/** The caller's own brand, or (by id) one of its descendants'; an admin may read any. */
export async function getBrand(scope: Scope, resellerId: string | null | undefined): Promise<BrandView> {
  const row = await db.brand.findFirst({
    where: { resellerId: resellerId ?? scope.resellerId, reseller: resellerWhere(scope) },
    select: brandSelect,
  });
  if (!row) throw AppError.notFound("Brand");
  return toBrandView(row);
}
