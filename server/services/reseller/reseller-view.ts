import type { Prisma } from "../../generated/prisma/client";

// Lists leave out the customer count: Prisma computes _count by aggregating the whole Customer
// table, whatever the page size (bench/list-procedures.ts; figures in bench/README.md).
export const resellerListSelect = {
  id: true,
  name: true,
  status: true,
  createdAt: true,
  updatedAt: true,
  generation: true,
  parent: { select: { id: true, name: true, isPlatform: true } },
  hostnames: { select: { hostname: true }, orderBy: { hostname: "asc" } },
  brand: { select: { displayName: true } },
  _count: { select: { children: true } },
} satisfies Prisma.ResellerSelect;

export const resellerSelect = {
  ...resellerListSelect,
  _count: { select: { children: true, customers: { where: { deletedAt: null } } } },
} satisfies Prisma.ResellerSelect;

type ResellerRow = Prisma.ResellerGetPayload<{ select: typeof resellerListSelect }> & {
  _count: { children: number; customers?: number };
};

export function toResellerView(row: ResellerRow) {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    generation: row.generation,
    // A top-level reseller's parent is the platform, which is nobody's business to show as a parent.
    parent: row.parent && !row.parent.isPlatform ? { id: row.parent.id, name: row.parent.name } : null,
    hostnames: row.hostnames.map((h) => h.hostname),
    displayName: row.brand?.displayName ?? row.name,
    subResellerCount: row._count.children,
    customerCount: row._count.customers ?? null,
  };
}

export type ResellerView = ReturnType<typeof toResellerView>;

