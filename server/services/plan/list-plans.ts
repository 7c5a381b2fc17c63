import type { Prisma } from "../../generated/prisma/client";
import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { planWhere } from "../../auth/scope";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";
import { planSelect, type PlanRow } from "./plan-select";

export type ListPlansInput = PageInput & {
  sort: "name" | "createdAt";
  /** Only this reseller's plans (still within the caller's tree): the customer form's plan picker. */
  resellerId?: string;
  includeArchived: boolean;
};

export async function listPlans(scope: Scope, input: ListPlansInput): Promise<Page<PlanRow>> {
  const where: Prisma.PlanWhereInput = {
    AND: [
      planWhere(scope),
      input.resellerId ? { resellerId: input.resellerId } : {},
      input.includeArchived ? {} : { archivedAt: null },
      input.search ? { name: { contains: input.search, mode: "insensitive" } } : {},
      afterCursor(input.sort, input.direction, input.cursor),
    ],
  };
  const rows = await db.plan.findMany({
    where,
    orderBy: keysetOrder(input.sort, input.direction),
    take: input.limit + 1,
    select: planSelect,
  });
  return toPage(rows, input.limit, input.sort);
}
