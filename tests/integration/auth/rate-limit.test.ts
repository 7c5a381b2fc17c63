import { describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { makeWorld } from "../../helpers/fixtures";
import { makeLogin, signIn } from "./http";

describe("login rate limits", () => {
  it("locks an account after 5 failures, even for the right password, and says for how long", async () => {
    const world = await makeWorld();
    const { email } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    for (let i = 0; i < 5; i++) {
      const { res } = await signIn(email, "wrong-password-x", { ip: `198.51.100.${i + 1}` });
      expect(res.status).toBe(401);
    }
    const locked = await signIn(email, undefined, { ip: "198.51.100.99" });
    expect(locked.res.status).toBe(429);
    expect(locked.json?.message).toMatch(/^Too many attempts, try again in 1[45] minutes\.$/);
    expect(await db.session.count()).toBe(0);

    // A new window starts once the old one has passed.
    await db.rateLimit.update({ where: { key: `login:account:${email}` }, data: { resetAt: new Date(Date.now() - 1000) } });
    const again = await signIn(email, undefined, { ip: "198.51.100.99" });
    expect(again.res.status).toBe(200);
  });

  it("a burst of 200 parallel wrong passwords is counted as 200, and only the documented 5 are evaluated", async () => {
    const world = await makeWorld();
    const { email } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const started = performance.now();
    // From 200 addresses, so the per-address limit does not decide it.
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => signIn(email, `wrong-password-${i}`, { ip: `198.18.${i >> 8}.${i & 255}` })));
    const statuses = answers.map((a) => a.res.status);
    const evaluated = statuses.filter((s) => s === 401).length;
    console.log(`200 parallel wrong passwords: ${evaluated} evaluated (401), ${statuses.filter((s) => s === 429).length} refused (429), in ${Math.round(performance.now() - started)} ms`);
    expect(evaluated).toBe(5);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect((await db.rateLimit.findUniqueOrThrow({ where: { key: `login:account:${email}` } })).count).toBe(200);
    // The right password is refused too until the window ends.
    expect((await signIn(email, undefined, { ip: "198.18.9.9" })).res.status).toBe(429);
    expect(await db.session.count({ where: { user: { email } } })).toBe(0);
  });

  it("a successful sign-in is not counted as a failure", async () => {
    const world = await makeWorld();
    const { email } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    for (let i = 0; i < 4; i++) expect((await signIn(email, "wrong-password-x", { ip: "198.51.100.40" })).res.status).toBe(401);
    expect((await signIn(email, undefined, { ip: "198.51.100.40" })).res.status).toBe(200);
    expect((await db.rateLimit.findUniqueOrThrow({ where: { key: `login:account:${email}` } })).count).toBe(4);
    // The fifth failure is still evaluated; the sixth attempt is not.
    expect((await signIn(email, "wrong-password-x", { ip: "198.51.100.40" })).res.status).toBe(401);
    expect((await signIn(email, undefined, { ip: "198.51.100.40" })).res.status).toBe(429);
  });

  it("limits one IP to 20 failures across accounts", async () => {
    const world = await makeWorld();
    const { email } = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    for (let i = 0; i < 20; i++) {
      const { res } = await signIn(`nobody-${i}@example.test`, "wrong-password-x", { ip: "192.0.2.50" });
      expect(res.status).toBe(401);
    }
    const blocked = await signIn(email, undefined, { ip: "192.0.2.50" });
    expect(blocked.res.status).toBe(429);
    expect(blocked.json?.message).toMatch(/Too many attempts, try again in \d+ minutes/);
    // Another address is unaffected.
    const elsewhere = await signIn(email, undefined, { ip: "192.0.2.51" });
    expect(elsewhere.res.status).toBe(200);
  });
});
