import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { getAuthState } from "../../../server/auth/get-auth-state";
import { createContext } from "../../../server/trpc/init";
import { createCaller } from "../../../server/trpc/root";
import { makeWorld } from "../../helpers/fixtures";
import { absorb, enrolTotp, headersFor, makeLogin, signIn, type Jar } from "./http";

async function signedInWithTotp(role: "ADMIN" | "RESELLER", resellerId: string) {
  const login = await makeLogin(role, resellerId);
  const { jar } = await signIn(login.email);
  await enrolTotp(jar, login.userId);
  return { ...login, jar };
}

/** A tRPC call with the jar's cookies, whose Set-Cookie lands back in the jar. */
async function callAs<T>(jar: Jar, fn: (caller: ReturnType<typeof createCaller>) => Promise<T>): Promise<T> {
  const resHeaders = new Headers();
  const caller = createCaller(await createContext({ headers: headersFor(jar), resHeaders }));
  try {
    return await fn(caller);
  } finally {
    absorb(jar, new Response(null, { headers: resHeaders }));
  }
}

describe("log in as", () => {
  it("a reseller becomes its own customer (audited) and stopping restores its session", async () => {
    const world = await makeWorld();
    const reseller = await signedInWithTotp("RESELLER", world.resellerA.id);
    const customer = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const original = await getAuthState(headersFor(reseller.jar));

    const started = await callAs(reseller.jar, (c) => c.session.startImpersonation({ userId: customer.userId }));
    expect(started.redirectTo).toBe("/");
    for (const name of reseller.jar.keys()) expect(name).not.toMatch(/shoal/i);
    const as = await getAuthState(headersFor(reseller.jar));
    expect(as?.user.id).toBe(customer.userId);
    expect(as?.impersonator).toMatchObject({ id: reseller.userId, email: reseller.email });
    expect(as?.sessionId).not.toBe(original!.sessionId);
    const row = await db.session.findUniqueOrThrow({ where: { id: as!.sessionId } });
    expect(row.impersonatedBy).toBe(reseller.userId);
    expect(row.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(60 * 60 * 1000);

    const audit = await db.auditEvent.findFirstOrThrow({ where: { action: "session.impersonate" } });
    expect(audit).toMatchObject({
      actorId: reseller.userId,
      impersonatorId: reseller.userId,
      targetType: "User",
      targetId: customer.userId,
      resellerId: world.resellerA.id,
      customerId: world.customers.a.customer.id,
    });
    const me = await callAs(reseller.jar, (c) => c.session.me());
    expect(me?.impersonator?.id).toBe(reseller.userId);

    const stopped = await callAs(reseller.jar, (c) => c.session.stopImpersonation());
    expect(stopped.redirectTo).toBe("/");
    const back = await getAuthState(headersFor(reseller.jar));
    expect(back?.user.id).toBe(reseller.userId);
    expect(back?.sessionId).toBe(original!.sessionId);
    expect(back?.impersonator).toBeNull();
    expect(await db.session.count({ where: { impersonatedBy: { not: null } } })).toBe(0);
    expect(await db.auditEvent.count({ where: { action: "session.impersonate.stop", impersonatorId: reseller.userId } })).toBe(1);
  });

  it("a reseller cannot become another reseller's customer: NOT_FOUND, nothing written", async () => {
    const world = await makeWorld();
    const reseller = await signedInWithTotp("RESELLER", world.resellerA.id);
    const foreign = await makeLogin("CUSTOMER", world.resellerB.id, world.customers.b.customer.id);
    const err = await callAs(reseller.jar, (c) => c.session.startImpersonation({ userId: foreign.userId })).catch((e: unknown) => e);
    expect((err as TRPCError).code).toBe("NOT_FOUND");
    expect(await db.session.count({ where: { userId: foreign.userId } })).toBe(0);
    expect(await db.auditEvent.count({ where: { targetId: foreign.userId } })).toBe(0);
  });

  it("a reseller reaches its sub-reseller's customers", async () => {
    const world = await makeWorld();
    const reseller = await signedInWithTotp("RESELLER", world.resellerA.id);
    const subCustomer = await makeLogin("CUSTOMER", world.subA.id, world.customers.s.customer.id);
    await callAs(reseller.jar, (c) => c.session.startImpersonation({ userId: subCustomer.userId }));
    expect((await getAuthState(headersFor(reseller.jar)))?.user.id).toBe(subCustomer.userId);
  });

  it("an admin cannot become another admin", async () => {
    const world = await makeWorld();
    const admin = await signedInWithTotp("ADMIN", world.platform.id);
    const other = await makeLogin("ADMIN", world.platform.id);
    const err = await callAs(admin.jar, (c) => c.session.startImpersonation({ userId: other.userId })).catch((e: unknown) => e);
    expect((err as TRPCError).code).toBe("FORBIDDEN");
    expect(await db.session.count({ where: { userId: other.userId } })).toBe(0);
    expect(await db.auditEvent.count({ where: { targetId: other.userId } })).toBe(0);
  });

  it("a customer has no access to it", async () => {
    const world = await makeWorld();
    const customer = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const { jar } = await signIn(customer.email);
    const err = await callAs(jar, (c) => c.session.startImpersonation({ userId: world.users.customerB.id })).catch((e: unknown) => e);
    expect((err as TRPCError).code).toBe("FORBIDDEN");
  });

  describe("ends when the impersonator loses the right", () => {
    const cases: Array<[string, (w: Awaited<ReturnType<typeof makeWorld>>, impersonatorId: string, customerId: string) => Promise<unknown>]> = [
      ["the impersonator's login is disabled", (_w, id) => db.user.update({ where: { id }, data: { disabledAt: new Date() } })],
      ["the impersonator's role changes", (_w, id) => db.user.update({ where: { id }, data: { role: "CUSTOMER" } })],
      ["the impersonator's reseller is suspended", (w) => db.reseller.update({ where: { id: w.resellerA.id }, data: { status: "SUSPENDED" } })],
      ["the target customer moves out of the tree", (w, _id, customerId) => db.customer.update({ where: { id: customerId }, data: { resellerId: w.resellerB.id } })],
    ];
    for (const [name, change] of cases) {
      it(`${name}: the session is deleted, not just refused`, async () => {
        const world = await makeWorld();
        const reseller = await signedInWithTotp("RESELLER", world.resellerA.id);
        const customer = await makeLogin("CUSTOMER", world.subA.id, world.customers.s.customer.id);
        await callAs(reseller.jar, (c) => c.session.startImpersonation({ userId: customer.userId }));
        const as = await getAuthState(headersFor(reseller.jar));
        expect(as?.user.id).toBe(customer.userId);

        await change(world, reseller.userId, world.customers.s.customer.id);
        expect(await getAuthState(headersFor(reseller.jar))).toBeNull();
        expect(await db.session.count({ where: { id: as!.sessionId } })).toBe(0);
      });
    }

    it("an admin's impersonation ends when the admin is disabled", async () => {
      const world = await makeWorld();
      const admin = await signedInWithTotp("ADMIN", world.platform.id);
      const customer = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
      await callAs(admin.jar, (c) => c.session.startImpersonation({ userId: customer.userId }));
      const as = await getAuthState(headersFor(admin.jar));
      expect(as?.impersonator?.id).toBe(admin.userId);
      await db.user.update({ where: { id: admin.userId }, data: { disabledAt: new Date() } });
      expect(await getAuthState(headersFor(admin.jar))).toBeNull();
      expect(await db.session.count({ where: { id: as!.sessionId } })).toBe(0);
    });
  });
});
