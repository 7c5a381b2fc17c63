import type { Prisma } from "../../generated/prisma/client";
import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { auditWhere } from "../../auth/scope";
import { afterCursor, keysetOrder, toPage, type Page } from "../pagination";

export type ListAuditEventsInput = {
  cursor?: string | null;
  limit: number;
  /** "customer.suspend" matches exactly; with prefix, "customer." or "customer" matches every customer action. */
  action?: string;
  actionPrefix: boolean;
  actorEmail?: string;
  targetType?: string;
  from?: Date;
  to?: Date;
  impersonatedOnly: boolean;
};

const auditSelect = {
  id: true,
  createdAt: true,
  action: true,
  targetType: true,
  targetId: true,
  actorId: true,
  actorEmail: true,
  impersonatorId: true,
  ip: true,
  before: true,
  after: true,
  reseller: { select: { id: true, name: true } },
} satisfies Prisma.AuditEventSelect;

export type AuditEventRow = Omit<Prisma.AuditEventGetPayload<{ select: typeof auditSelect }>, "impersonatorId"> & {
  impersonatorEmail: string | null;
};

// Newest first; (createdAt, id) is the keyset, so events written in the same millisecond still
// page exactly once.
export async function listAuditEvents(scope: Scope, input: ListAuditEventsInput): Promise<Page<AuditEventRow>> {
  // Outside the platform, its staff are one anonymous "Platform support": never their address, id
  // or IP, and a search by address cannot find their rows either.
  const staffIds = scope.kind === "admin" ? new Set<string>() : await platformStaffIds();
  const where: Prisma.AuditEventWhereInput = {
    AND: [
      auditWhere(scope),
      input.action ? { action: input.actionPrefix ? { startsWith: input.action } : input.action } : {},
      input.actorEmail ? { actorEmail: { contains: input.actorEmail, mode: "insensitive" } } : {},
      input.actorEmail && staffIds.size > 0 ? { NOT: { actorId: { in: [...staffIds] } } } : {},
      input.targetType ? { targetType: input.targetType } : {},
      input.from ? { createdAt: { gte: input.from } } : {},
      input.to ? { createdAt: { lte: input.to } } : {},
      input.impersonatedOnly ? { impersonatorId: { not: null } } : {},
      afterCursor("createdAt", "desc", input.cursor),
    ],
  };
  const rows = await db.auditEvent.findMany({
    where,
    orderBy: keysetOrder("createdAt", "desc"),
    take: input.limit + 1,
    select: auditSelect,
  });
  const page = toPage(rows, input.limit, "createdAt");
  // impersonatorId is a plain column (the person may be an admin outside the reseller's tree), so
  // their emails are looked up in one query for the page rather than joined.
  const ids = [...new Set(page.items.map((r) => r.impersonatorId).filter((id): id is string => id !== null))];
  const people = ids.length
    ? await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } })
    : [];
  const emailOf = new Map(people.map((p) => [p.id, p.email]));
  return {
    nextCursor: page.nextCursor,
    items: page.items.map(({ impersonatorId, ...row }) => {
      const byStaff = row.actorId !== null && staffIds.has(row.actorId);
      const throughStaff = impersonatorId !== null && staffIds.has(impersonatorId);
      return {
        ...row,
        ...(byStaff ? { actorId: null, actorEmail: PLATFORM_SUPPORT } : {}),
        ...(byStaff || throughStaff ? { ip: null } : {}),
        impersonatorEmail: !impersonatorId
          ? null
          : throughStaff
            ? PLATFORM_SUPPORT
            : (emailOf.get(impersonatorId) ?? "(deleted user)"),
      };
    }),
  };
}

export const PLATFORM_SUPPORT = "Platform support";

/** Admins and every other login of the platform's own reseller. */
async function platformStaffIds(): Promise<Set<string>> {
  const staff = await db.user.findMany({
    where: { OR: [{ role: "ADMIN" }, { reseller: { isPlatform: true } }] },
    select: { id: true },
  });
  return new Set(staff.map((u) => u.id));
}
