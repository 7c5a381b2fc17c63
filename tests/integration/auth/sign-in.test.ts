import { describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { getAuthState } from "../../../server/auth/get-auth-state";
import { makeWorld } from "../../helpers/fixtures";
import { THEME_COOKIE } from "../../../app/_components/theme";
import { enrolTotp, headersFor, makeLogin, post, sessionCookieName, signIn } from "./http";

describe("sign-in", () => {
  it("names no cookie after the platform on a reseller's host (session, second-factor challenge, theme)", async () => {
    const world = await makeWorld();
    await db.brandHostname.create({ data: { hostname: "panel.neutral.test", resellerId: world.resellerA.id } });
    const host = "panel.neutral.test";
    const reseller = await makeLogin("RESELLER", world.resellerA.id);
    const first = await signIn(reseller.email, undefined, { host });
    await enrolTotp(first.jar, reseller.userId, { host });
    const second = await signIn(reseller.email, undefined, { host });
    expect(second.json).toMatchObject({ twoFactorRedirect: true });
    const names = [...first.res.headers.getSetCookie(), ...second.res.headers.getSetCookie()].map((c) => c.split("=")[0]!);
    expect(names.length).toBeGreaterThanOrEqual(2);
    for (const name of [...names, THEME_COOKIE]) expect(name).not.toMatch(/shoal/i);
  });

  it("sets an httpOnly, SameSite=Lax session cookie and getAuthState sees the user", async () => {
    const world = await makeWorld();
    const { email, userId } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const { res, jar } = await signIn(email);
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("panel.session_token="))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i);
    const state = await getAuthState(headersFor(jar));
    expect(state?.user).toMatchObject({ id: userId, email, role: "CUSTOMER" });
    expect(state?.needsTwoFactorSetup).toBe(false);
    const row = await db.session.findFirstOrThrow({ where: { userId } });
    expect(row.ipAddress).toBe("203.0.113.10");
  });

  it("issues a new session id at every sign-in", async () => {
    const world = await makeWorld();
    const { email } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const first = await signIn(email);
    const second = await signIn(email);
    const a = await getAuthState(headersFor(first.jar));
    const b = await getAuthState(headersFor(second.jar));
    expect(a && b).toBeTruthy();
    expect(a!.sessionId).not.toBe(b!.sessionId);
    expect(first.jar.get(sessionCookieName(first.jar)!)).not.toBe(second.jar.get(sessionCookieName(second.jar)!));
  });

  it("sign-out deletes the session: the old cookie no longer signs anyone in", async () => {
    const world = await makeWorld();
    const { email, userId } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const { jar } = await signIn(email);
    const oldHeaders = headersFor(jar);
    expect(await getAuthState(oldHeaders)).not.toBeNull();
    const res = await post("/sign-out", {}, jar);
    expect(res.status).toBe(200);
    expect(await db.session.count({ where: { userId } })).toBe(0);
    expect(await getAuthState(oldHeaders)).toBeNull();
  });

  it("expires an idle session and a session past its absolute age, deleting the rows", async () => {
    const world = await makeWorld();
    const { email, userId } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const idle = await signIn(email);
    const old = await signIn(email);
    const [idleState, oldState] = [await getAuthState(headersFor(idle.jar)), await getAuthState(headersFor(old.jar))];
    const idleMinutes = Number(process.env.SESSION_IDLE_MINUTES ?? 60);
    const absoluteHours = Number(process.env.SESSION_ABSOLUTE_HOURS ?? 12);
    await db.session.update({
      where: { id: idleState!.sessionId },
      data: { updatedAt: new Date(Date.now() - (idleMinutes + 1) * 60_000) },
    });
    // Recently used, but signed in longer ago than the absolute cap allows.
    await db.session.update({
      where: { id: oldState!.sessionId },
      data: { createdAt: new Date(Date.now() - (absoluteHours * 60 + 1) * 60_000), updatedAt: new Date() },
    });
    expect(await getAuthState(headersFor(idle.jar))).toBeNull();
    expect(await getAuthState(headersFor(old.jar))).toBeNull();
    expect(await db.session.count({ where: { userId } })).toBe(0);
  });

  it("slides the idle window when the session is used", async () => {
    const world = await makeWorld();
    const { email } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const { jar } = await signIn(email);
    const state = await getAuthState(headersFor(jar));
    const earlier = new Date(Date.now() - 10 * 60_000);
    await db.session.update({ where: { id: state!.sessionId }, data: { updatedAt: earlier } });
    expect(await getAuthState(headersFor(jar))).not.toBeNull();
    const row = await db.session.findUniqueOrThrow({ where: { id: state!.sessionId } });
    expect(row.updatedAt.getTime()).toBeGreaterThan(earlier.getTime() + 9 * 60_000);
  });

  it("a wrong password fails with the generic message and counts against account and IP", async () => {
    const world = await makeWorld();
    const { email } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const { res, json } = await signIn(email, "not-the-password", { ip: "198.51.100.7" });
    expect(res.status).toBe(401);
    expect(json?.code).toBe("INVALID_EMAIL_OR_PASSWORD");
    expect(res.headers.getSetCookie().some((c) => c.startsWith("panel.session_token=") && !/Max-Age=0/i.test(c))).toBe(false);
    // Other tests' successful sign-ins were counted and given back (count 0).
    const counters = await db.rateLimit.findMany({ where: { count: { gt: 0 } }, orderBy: { key: "asc" } });
    expect(counters.map((c) => [c.key, c.count])).toEqual([
      [`login:account:${email}`, 1],
      ["login:ip:198.51.100.7", 1],
    ]);
  });
});
