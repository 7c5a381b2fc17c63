import type { Scope } from "../../auth/scope";
import { resellerWhere } from "../../auth/scope";
import { db } from "../../db";
import { AppError } from "../../errors";
import { ancestorIds } from "../../domain/reseller-path";
import { resellerSelect, toResellerView, type ResellerView } from "./reseller-view";

export type ResellerDetail = ResellerView & {
  /** Suspended (or terminated) ancestor that blocks this reseller even while its own status is ACTIVE. */
  blockedBy: { id: string; name: string } | null;
};

export async function getReseller(scope: Scope, id: string): Promise<ResellerDetail> {
  const row = await db.reseller.findFirst({
    where: { AND: [{ id }, resellerWhere(scope)] },
    select: { ...resellerSelect, path: true },
  });
  if (!row) throw AppError.notFound("Reseller");
  const blocker = await db.reseller.findFirst({
    where: { id: { in: ancestorIds(row.path, row.id) }, status: { not: "ACTIVE" } },
    select: { id: true, name: true },
    orderBy: { path: "asc" },
  });
  return { ...toResellerView(row), blockedBy: blocker };
}
