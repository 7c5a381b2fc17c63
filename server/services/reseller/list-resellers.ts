import type { Scope } from "../../auth/scope";
import { childResellerWhere } from "../../auth/scope";
import { db } from "../../db";
import type { Prisma } from "../../generated/prisma/client";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";
import { resellerListSelect, toResellerView, type ResellerView } from "./reseller-view";

export type ResellerSort = "name" | "createdAt";

/** Admin: every reseller but the platform. Reseller: its descendants. `parentId` narrows to one level. */
export async function listResellers(
  scope: Scope,
  input: PageInput & { sort: ResellerSort; parentId?: string | null },
): Promise<Page<ResellerView>> {
  const where: Prisma.ResellerWhereInput = {
    AND: [
      childResellerWhere(scope),
      input.parentId ? { parentId: input.parentId } : {},
      input.search ? { name: { contains: input.search, mode: "insensitive" } } : {},
      afterCursor(input.sort, input.direction, input.cursor),
    ],
  };
  const rows = await db.reseller.findMany({
    where,
    orderBy: keysetOrder(input.sort, input.direction),
    take: input.limit + 1,
    select: resellerListSelect,
  });
  return toPage(rows.map(toResellerView), input.limit, input.sort);
}
