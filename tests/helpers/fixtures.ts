import { randomBytes } from "node:crypto";
import { db } from "../../server/db";
import type { Role } from "../../server/generated/prisma/enums";
import type { AuthState, SessionUser } from "../../server/auth/auth-state";
import { createCaller } from "../../server/trpc/root";

const tag = () => randomBytes(3).toString("hex");

export async function makeReseller(name: string, parent: { id: string; path: string }) {
  const id = `r${tag()}${tag()}`;
  const reseller = await db.reseller.create({
    data: {
      id,
      name,
      parentId: parent.id,
      path: `${parent.path}${id}/`,
      brand: { create: { displayName: name } },
    },
  });
  return reseller;
}

export async function makeUser(role: Role, resellerId: string, customerId: string | null = null): Promise<SessionUser> {
  const t = tag();
  const user = await db.user.create({
    data: { email: `${role.toLowerCase()}-${t}@example.test`, name: `${role} ${t}`, role, resellerId, customerId },
  });
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    resellerId: user.resellerId,
    customerId: user.customerId,
    twoFactorEnabled: true,
  };
}

export async function makeCustomer(resellerId: string, name = `Customer ${tag()}`) {
  const plan =
    (await db.plan.findFirst({ where: { resellerId } })) ??
    (await db.plan.create({
      data: { resellerId, name: "Basic", maxSites: 5, diskMb: 10_000, maxDatabases: 5, maxMailboxes: 10, trafficGbMonth: 100 },
    }));
  const customer = await db.customer.create({
    data: {
      resellerId,
      name,
      email: `c-${tag()}@example.test`,
      accounts: { create: { planId: plan.id, username: `u${tag()}` } },
    },
    include: { accounts: true },
  });
  return { customer, account: customer.accounts[0]!, plan };
}

/**
 * The tenant tree every authorisation test uses:
 *   platform ── resellerA ── subA (sub-reseller of A)
 *            └─ resellerB
 * with a customer under A, one under B, one under subA, and a user for each role.
 */
export async function makeWorld() {
  const rootId = `p${tag()}`;
  const platform = await db.reseller.create({
    data: { id: rootId, name: "Shoal", isPlatform: true, path: `/${rootId}/`, brand: { create: { displayName: "Shoal" } } },
  });
  const resellerA = await makeReseller("Reseller A", platform);
  const resellerB = await makeReseller("Reseller B", platform);
  const subA = await makeReseller("Sub A", resellerA);
  const a = await makeCustomer(resellerA.id, "Customer A");
  const b = await makeCustomer(resellerB.id, "Customer B");
  const s = await makeCustomer(subA.id, "Customer SubA");
  const users = {
    admin: await makeUser("ADMIN", platform.id),
    resellerA: await makeUser("RESELLER", resellerA.id),
    resellerB: await makeUser("RESELLER", resellerB.id),
    subA: await makeUser("RESELLER", subA.id),
    customerA: await makeUser("CUSTOMER", resellerA.id, a.customer.id),
    customerB: await makeUser("CUSTOMER", resellerB.id, b.customer.id),
    customerSubA: await makeUser("CUSTOMER", subA.id, s.customer.id),
  };
  return { platform, resellerA, resellerB, subA, customers: { a, b, s }, users };
}

export function authFor(user: SessionUser, impersonator: AuthState["impersonator"] = null): AuthState {
  return { user, sessionId: `test-${user.id}`, impersonator, needsTwoFactorSetup: false };
}

/** A tRPC caller acting as `user` (or anonymous), exactly as the HTTP handler would build it. */
export function callerFor(user: SessionUser | null, ip = "127.0.0.1") {
  return createCaller({ headers: new Headers(), ip, auth: user ? authFor(user) : null, resHeaders: new Headers() });
}
