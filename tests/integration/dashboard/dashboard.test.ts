import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { rejection } from "../domain/helpers";

let world: Awaited<ReturnType<typeof makeWorld>>;
beforeAll(async () => {
  world = await makeWorld();
});

const asA = () => callerFor(world.users.customerA);

describe("dashboard.get", () => {
  it("reports plan limits against usage and the latest operations", async () => {
    const d = await asA().domain.create({ name: "dash.test" });
    const s = await asA().site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    await asA().domain.create({ name: "dash-two.test" });
    const dash = await asA().dashboard.get({});
    const plan = world.customers.a.plan;
    expect(dash.account).toMatchObject({ id: world.customers.a.account.id, planName: plan.name, status: "ACTIVE" });
    expect(dash.usage).toEqual({
      sites: { used: 1, limit: plan.maxSites },
      databases: { used: 1, limit: plan.maxDatabases },
      domains: { used: 2, limit: null },
      diskMb: { used: 0, limit: plan.diskMb },
    });
    expect(dash.recentOperations.map((o) => o.kind)).toEqual(["domain.create", "site.create", "domain.create"]);
    expect(dash.recentOperations[1]!.targetId).toBe(s.id);
    expect(dash.accounts).toHaveLength(1);
  });

  it("offers every account of the customer and switches between them", async () => {
    const second = await db.hostingAccount.create({
      data: { customerId: world.customers.a.customer.id, planId: world.customers.a.plan.id, username: `second${Date.now() % 100000}` },
    });
    const dash = await asA().dashboard.get({ accountId: second.id });
    expect(dash.account.id).toBe(second.id);
    expect(dash.usage.sites.used).toBe(0);
    expect(dash.recentOperations).toEqual([]);
    expect(dash.accounts.map((a) => a.id)).toEqual([world.customers.a.account.id, second.id]);
    // Without an account id: the first active account.
    expect((await asA().dashboard.get({})).account.id).toBe(world.customers.a.account.id);
    // A suspended first account gives way to the next active one.
    await db.hostingAccount.update({ where: { id: world.customers.a.account.id }, data: { status: "SUSPENDED" } });
    expect((await asA().dashboard.get({})).account.id).toBe(second.id);
    await db.hostingAccount.update({ where: { id: world.customers.a.account.id }, data: { status: "ACTIVE" } });
  });

  it("is not another customer's to see", async () => {
    const accountId = world.customers.a.account.id;
    for (const user of [world.users.customerB, world.users.resellerB, world.users.subA]) {
      expect((await rejection(callerFor(user).dashboard.get({ accountId }))).code).toBe("NOT_FOUND");
    }
    expect((await callerFor(world.users.resellerA).dashboard.get({ accountId })).account.id).toBe(accountId);
    expect((await rejection(callerFor(null).dashboard.get({}))).code).toBe("UNAUTHORIZED");
  });
});
