import type { Db } from "../../db";
import { loadScope } from "../../auth/load-scope";
import { can } from "../../auth/permissions";
import { customerWhere, type Scope } from "../../auth/scope";
import { AppError } from "../../errors";
import type { Prisma } from "../../generated/prisma/client";

// Admins may become anyone but another admin (refused with its own message when starting);
// resellers only the customer logins of their tree.
export function impersonableWhere(scope: Scope): Prisma.UserWhereInput {
  if (scope.kind === "admin") return {};
  return { role: "CUSTOMER", customer: { ...customerWhere(scope), deletedAt: null } };
}

/**
 * Whether the person behind a "log in as" session may still hold it, checked on every request:
 * the impersonator's login is enabled, its role still grants impersonation, its reseller (and
 * every ancestor) is active, and the target is still an enabled login inside its tree. A session
 * that fails any of these is ended by the caller, not just refused once.
 */
export async function impersonationStillAllowed(db: Db, impersonatorId: string, targetUserId: string): Promise<boolean> {
  const impersonator = await db.user.findUnique({
    where: { id: impersonatorId },
    select: { id: true, email: true, name: true, role: true, resellerId: true, customerId: true, twoFactorEnabled: true, disabledAt: true },
  });
  if (!impersonator || impersonator.disabledAt || !can(impersonator.role, "impersonate")) return false;
  const { disabledAt: _disabled, ...user } = impersonator;
  let scope: Scope;
  try {
    scope = await loadScope(db, user);
  } catch (error) {
    if (error instanceof AppError && error.code === "FORBIDDEN") return false;
    throw error;
  }
  const target = await db.user.count({ where: { AND: [{ id: targetUserId, disabledAt: null, role: { not: "ADMIN" } }, impersonableWhere(scope)] } });
  return target > 0;
}
