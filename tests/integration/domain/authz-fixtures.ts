import { db } from "../../../server/db";
import type { Tenant, World } from "../authz/matrix";

// Builders for the authorisation-matrix entries of the customer side (domain, site, database,
// operation, dashboard): each call that may consume an object gets a fresh one.

let counter = 0;
export const fresh = (prefix: string) => `${prefix}${Date.now().toString(36)}${++counter}`;

export const tenantCustomer = (w: World, t: Tenant) => (t === "A" ? w.customers.a : t === "B" ? w.customers.b : w.customers.s);
export const tenantAccountId = (w: World, t: Tenant) => tenantCustomer(w, t).account.id;

export async function freshDomain(w: World, t: Tenant) {
  const name = `${fresh("matrix-")}.test`;
  return db.domain.create({ data: { accountId: tenantAccountId(w, t), name, displayName: name }, select: { id: true } });
}

export async function freshSite(w: World, t: Tenant) {
  const domain = await freshDomain(w, t);
  return db.site.create({ data: { accountId: tenantAccountId(w, t), domainId: domain.id }, select: { id: true } });
}

export async function freshDatabase(w: World, t: Tenant) {
  const c = tenantCustomer(w, t);
  const name = fresh(`${c.account.username}_m`);
  return db.database.create({
    data: { accountId: c.account.id, name, users: { create: { username: name.slice(0, 32) } } },
    select: { id: true },
  });
}

export async function freshOperation(w: World, t: Tenant) {
  const c = tenantCustomer(w, t);
  const domain = await freshDomain(w, t);
  return db.operation.create({
    data: {
      kind: "domain.create",
      targetType: "Domain",
      targetId: domain.id,
      resellerId: c.customer.resellerId,
      customerId: c.customer.id,
      steps: { create: [{ index: 0, kind: "DNS zone", target: "x" }] },
    },
    select: { id: true },
  });
}
