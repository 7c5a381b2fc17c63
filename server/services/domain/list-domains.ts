import { db } from "../../db";
import type { Prisma } from "../../generated/prisma/client";
import type { Scope } from "../../auth/scope";
import { resolveAccount } from "../account/resolve-account";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";

export type ListDomainsInput = PageInput & { accountId?: string | null; sort: "name" | "createdAt" };

const domainListSelect = {
  id: true,
  name: true,
  displayName: true,
  generation: true,
  observedGeneration: true,
  createdAt: true,
  sites: { where: { deletedAt: null }, select: { id: true, app: true } },
} satisfies Prisma.DomainSelect;

export type DomainListItem = Prisma.DomainGetPayload<{ select: typeof domainListSelect }>;

export async function listDomains(scope: Scope, input: ListDomainsInput): Promise<Page<DomainListItem>> {
  const account = await resolveAccount(db, scope, input.accountId);
  const search = input.search?.toLowerCase();
  const rows = await db.domain.findMany({
    where: {
      AND: [
        { accountId: account.id, deletedAt: null },
        // The ASCII name has a trigram index; the Unicode form matters for IDNs typed as read.
        search
          ? { OR: [{ name: { contains: search, mode: "insensitive" } }, { displayName: { contains: search, mode: "insensitive" } }] }
          : {},
        afterCursor(input.sort, input.direction, input.cursor),
      ],
    },
    orderBy: keysetOrder(input.sort, input.direction),
    take: input.limit + 1,
    select: domainListSelect,
  });
  return toPage(rows, input.limit, input.sort);
}
