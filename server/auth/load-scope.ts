import type { Db } from "../db";
import { ancestorIds } from "../domain/reseller-path";
import { AppError } from "../errors";
import type { SessionUser } from "./auth-state";
import type { Scope } from "./scope";

// The one place a user becomes a verified tenant scope. A reseller's scope is its own id plus every
// descendant's (one indexed prefix query on the materialised path).
export async function loadScope(db: Db, user: SessionUser): Promise<Scope> {
  if (user.role === "ADMIN") return { kind: "admin", userId: user.id, resellerId: user.resellerId };
  if (user.role === "CUSTOMER") {
    if (!user.customerId) throw new AppError("FORBIDDEN", "This login is not linked to a customer.");
    // A suspended or terminated customer's logins may do nothing at all, whatever their session says.
    const customer = await db.customer.findUnique({ where: { id: user.customerId }, select: { status: true, deletedAt: true } });
    if (!customer || customer.deletedAt || customer.status !== "ACTIVE") throw new AppError("FORBIDDEN", "This customer account is not active.");
    await activeResellerPath(db, user.resellerId, "Your hosting provider's account is not active.");
    return { kind: "customer", userId: user.id, resellerId: user.resellerId, customerId: user.customerId };
  }
  const path = await activeResellerPath(db, user.resellerId, "This reseller account is not active.");
  const tree = await db.reseller.findMany({ where: { path: { startsWith: path } }, select: { id: true } });
  return { kind: "reseller", userId: user.id, resellerId: user.resellerId, resellerIds: tree.map((r) => r.id) };
}

// A suspended reseller takes its whole subtree with it: its sub-resellers, and every customer of
// any of them. The materialised path names every ancestor, so the check is one lookup by primary key.
async function activeResellerPath(db: Db, resellerId: string, message: string): Promise<string> {
  const own = await db.reseller.findUnique({ where: { id: resellerId }, select: { path: true, status: true } });
  if (!own || own.status !== "ACTIVE") throw new AppError("FORBIDDEN", message);
  const ancestors = ancestorIds(own.path, resellerId);
  if (ancestors.length > 0) {
    const inactive = await db.reseller.count({ where: { id: { in: ancestors }, status: { not: "ACTIVE" } } });
    if (inactive > 0) throw new AppError("FORBIDDEN", message);
  }
  return own.path;
}
