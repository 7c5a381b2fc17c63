import type { Prisma } from "../../generated/prisma/client";
import type { TenantStatus } from "../../generated/prisma/enums";
import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { customerWhere } from "../../auth/scope";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";
import { customerRowSelect, type CustomerRow } from "./customer-select";

export type ListCustomersInput = PageInput & {
  sort: "name" | "createdAt";
  status?: TenantStatus;
};

export async function listCustomers(scope: Scope, input: ListCustomersInput): Promise<Page<CustomerRow>> {
  const search = input.search;
  const where: Prisma.CustomerWhereInput = {
    AND: [
      customerWhere(scope),
      { deletedAt: null },
      input.status ? { status: input.status } : {},
      search
        ? {
            OR: [
              { name: { contains: search, mode: "insensitive" } },
              { email: { contains: search, mode: "insensitive" } },
            ],
          }
        : {},
      afterCursor(input.sort, input.direction, input.cursor),
    ],
  };
  const rows = await db.customer.findMany({
    where,
    orderBy: keysetOrder(input.sort, input.direction),
    take: input.limit + 1,
    select: customerRowSelect,
  });
  return toPage(rows, input.limit, input.sort);
}
