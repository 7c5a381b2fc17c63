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
