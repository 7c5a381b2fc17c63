import { db } from "../../db";
import type { Prisma } from "../../generated/prisma/client";
import type { Scope } from "../../auth/scope";
import { resolveAccount } from "../account/resolve-account";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";

export type ListDatabasesInput = PageInput & { accountId?: string | null; sort: "name" | "createdAt" };

const databaseListSelect = {
  id: true,
  name: true,
  generation: true,
  observedGeneration: true,
  createdAt: true,
  users: { where: { deletedAt: null }, orderBy: { username: "asc" }, select: { id: true, username: true } },
  site: { select: { id: true, deletedAt: true, domain: { select: { name: true, displayName: true } } } },
} satisfies Prisma.DatabaseSelect;

export type DatabaseListItem = Omit<Prisma.DatabaseGetPayload<{ select: typeof databaseListSelect }>, "site"> & {
  site: { id: string; domain: { name: string; displayName: string } } | null;
};

export async function listDatabases(scope: Scope, input: ListDatabasesInput): Promise<Page<DatabaseListItem>> {
  const account = await resolveAccount(db, scope, input.accountId);
  const rows = await db.database.findMany({
    where: {
      AND: [
        { accountId: account.id, deletedAt: null },
        input.search ? { name: { contains: input.search, mode: "insensitive" } } : {},
        afterCursor(input.sort, input.direction, input.cursor),
      ],
    },
    orderBy: keysetOrder(input.sort, input.direction),
    take: input.limit + 1,
    select: databaseListSelect,
  });
  const page = toPage(rows, input.limit, input.sort);
  return {
    items: page.items.map(({ site, ...d }) => ({
      ...d,
      site: site && !site.deletedAt ? { id: site.id, domain: site.domain } : null,
    })),
    nextCursor: page.nextCursor,
  };
}
