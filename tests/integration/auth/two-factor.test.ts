import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { getAuthState } from "../../../server/auth/get-auth-state";
import { createCaller } from "../../../server/trpc/root";
import { createContext } from "../../../server/trpc/init";
import { makeWorld } from "../../helpers/fixtures";
import { enrolTotp, headersFor, makeLogin, post, signIn, totpFor } from "./http";

describe("two-factor", () => {
  it("a reseller must enrol: needsTwoFactorSetup until then, and permissioned calls are PRECONDITION_FAILED", async () => {
    const world = await makeWorld();
    await db.brand.update({ where: { resellerId: world.resellerA.id }, data: { displayName: "Acme Hosting" } });
    const { email, userId } = await makeLogin("RESELLER", world.resellerA.id);
    const { jar } = await signIn(email);
    const state = await getAuthState(headersFor(jar));
    expect(state?.needsTwoFactorSetup).toBe(true);

    const caller = createCaller(await createContext({ headers: headersFor(jar) }));
    const me = await caller.session.me();
    expect(me).toMatchObject({ needsTwoFactorSetup: true, user: { twoFactorEnabled: false } });
    const err = await caller.session.startImpersonation({ userId: world.users.customerA.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe("PRECONDITION_FAILED");

    const { totpURI, backupCodes } = await enrolTotp(jar, userId);
    // The authenticator shows the reseller's brand, not the platform's.
    expect(decodeURIComponent(totpURI)).toContain("Acme Hosting");
    expect(totpURI).not.toMatch(/shoal/i);
    expect(backupCodes).toHaveLength(10);
    const after = await getAuthState(headersFor(jar));
    expect(after?.needsTwoFactorSetup).toBe(false);
    expect(after?.user.twoFactorEnabled).toBe(true);
  });

  it("sign-in of an enrolled user needs the TOTP code: no session before, a session after", async () => {
    const world = await makeWorld();
    const { email, userId } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    await enrolTotp((await signIn(email)).jar, userId);

    const { res, jar, json } = await signIn(email);
    expect(res.status).toBe(200);
    expect(json?.twoFactorRedirect).toBe(true);
    expect(await getAuthState(headersFor(jar))).toBeNull();

    const wrong = await post("/two-factor/verify-totp", { code: "000000" }, jar);
    expect(wrong.status).toBe(401);
    const ok = await post("/two-factor/verify-totp", { code: await totpFor(userId) }, jar);
    expect(ok.status).toBe(200);
    expect((await getAuthState(headersFor(jar)))?.user.id).toBe(userId);
  });

  it("a recovery code signs in once and never again", async () => {
    const world = await makeWorld();
    const { email, userId } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const { backupCodes } = await enrolTotp((await signIn(email)).jar, userId);
    const code = backupCodes[0]!;

    const first = await signIn(email);
    const used = await post("/two-factor/verify-backup-code", { code }, first.jar);
    expect(used.status).toBe(200);
    expect((await getAuthState(headersFor(first.jar)))?.user.id).toBe(userId);

    const second = await signIn(email);
    const reused = await post("/two-factor/verify-backup-code", { code }, second.jar);
    expect(reused.status).toBe(401);
    expect(await getAuthState(headersFor(second.jar))).toBeNull();
  });

  it("failed codes count toward the account lockout", async () => {
    const world = await makeWorld();
    const { email, userId } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    await enrolTotp((await signIn(email)).jar, userId);
    const { jar } = await signIn(email);
    for (let i = 0; i < 5; i++) await post("/two-factor/verify-totp", { code: "000000" }, jar);
    const counter = await db.rateLimit.findUniqueOrThrow({ where: { key: `login:account:${email}` } });
    expect(counter.count).toBe(5);
    // Even the right code is refused now, with the limit's message.
    const fresh = await signIn(email);
    expect(fresh.res.status).toBe(429);
    expect(fresh.json?.message).toMatch(/^Too many attempts, try again in 1[45] minutes\.$/);
  });
});

describe("two-factor: who may switch it off", () => {
  it("a customer may turn it off; a reseller may not", async () => {
    const world = await makeWorld();
    const customer = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const customerJar = (await signIn(customer.email)).jar;
    await enrolTotp(customerJar, customer.userId);
    expect((await post("/two-factor/disable", { password: "demo-password-1" }, customerJar)).status).toBe(200);
    expect((await db.user.findUniqueOrThrow({ where: { id: customer.userId } })).twoFactorEnabled).toBe(false);

    const reseller = await makeLogin("RESELLER", world.resellerA.id);
    const resellerJar = (await signIn(reseller.email)).jar;
    await enrolTotp(resellerJar, reseller.userId);
    expect((await post("/two-factor/disable", { password: "demo-password-1" }, resellerJar)).status).toBe(403);
    expect((await db.user.findUniqueOrThrow({ where: { id: reseller.userId } })).twoFactorEnabled).toBe(true);
  });
});
