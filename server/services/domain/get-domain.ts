import { db } from "../../db";
import { AppError } from "../../errors";
import type { Prisma } from "../../generated/prisma/client";
import { domainWhere, type Scope } from "../../auth/scope";

const domainDetailSelect = {
  id: true,
  accountId: true,
  name: true,
  displayName: true,
  generation: true,
  observedGeneration: true,
  createdAt: true,
  sites: {
    where: { deletedAt: null },
    orderBy: { createdAt: "asc" },
    select: { id: true, app: true, documentRoot: true, phpVersion: true, status: true, createdAt: true },
  },
  records: {
    where: { deletedAt: null },
    orderBy: [{ type: "asc" }, { name: "asc" }],
    select: { id: true, name: true, type: true, content: true, ttl: true, priority: true },
  },
} satisfies Prisma.DomainSelect;

export type DomainDetail = Prisma.DomainGetPayload<{ select: typeof domainDetailSelect }>;

export async function getDomain(scope: Scope, input: { id: string; accountId?: string | null }): Promise<DomainDetail> {
  const domain = await db.domain.findFirst({
    where: { id: input.id, deletedAt: null, ...(input.accountId ? { accountId: input.accountId } : {}), ...domainWhere(scope) },
    select: domainDetailSelect,
  });
  if (!domain) throw AppError.notFound("Domain");
  return domain;
}
