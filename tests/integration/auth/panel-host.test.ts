import { describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { makeWorld } from "../../helpers/fixtures";
import { makeLogin, signIn } from "./http";

describe("sign-in on a reseller's panel host", () => {
  it("accepts the reseller's tree and refuses everyone else with the wrong-password answer", async () => {
    const world = await makeWorld();
    await db.brandHostname.create({ data: { hostname: "panel.reseller-a.test", resellerId: world.resellerA.id } });
    const host = "panel.reseller-a.test:3000";
    const own = await makeLogin("CUSTOMER", world.resellerA.id, world.customers.a.customer.id);
    const sub = await makeLogin("CUSTOMER", world.subA.id, world.customers.s.customer.id);
    const reseller = await makeLogin("RESELLER", world.resellerA.id);
    const foreign = await makeLogin("CUSTOMER", world.resellerB.id, world.customers.b.customer.id);
    const admin = await makeLogin("ADMIN", world.platform.id);

    for (const ok of [own, sub, reseller]) expect((await signIn(ok.email, undefined, { host })).res.status).toBe(200);

    const wrongPassword = await signIn(own.email, "not-the-password", { host });
    for (const refused of [foreign, admin]) {
      const attempt = await signIn(refused.email, undefined, { host });
      expect(attempt.res.status).toBe(401);
      expect(attempt.json).toEqual(wrongPassword.json);
      expect(await db.session.count({ where: { userId: refused.userId } })).toBe(0);
    }
    // The platform host takes them.
    expect((await signIn(foreign.email)).res.status).toBe(200);
    expect((await signIn(admin.email)).res.status).toBe(200);
  });
});
