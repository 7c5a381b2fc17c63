import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});

async function counts() {
  return { customers: await db.customer.count(), audit: await db.auditEvent.count(), outbox: await db.outboxEvent.count() };
}

describe("customer.get", () => {
  it("shows the customer with its accounts (username, plan, status) and its logins (email only)", async () => {
    const { customer, account, plan } = w.customers.a;
    const got = await callerFor(w.users.resellerA).customer.get({ id: customer.id });
    expect(got).toMatchObject({ id: customer.id, name: "Customer A", status: "ACTIVE", reseller: { id: w.resellerA.id } });
    expect(got.accounts).toEqual([
      { id: account.id, username: account.username, status: "ACTIVE", createdAt: account.createdAt, deletedAt: null, plan: { id: plan.id, name: plan.name }, nodeUsage: [] },
    ]);
    expect(got.users).toEqual([{ id: w.users.customerA.id, email: w.users.customerA.email }]);
  });

  it("says when a node refuses an account's writes at its disk limit, without naming the node", async () => {
    const { customer, account } = w.customers.a;
    const node = await db.node.create({ data: { name: "customer-get-node", address: "127.0.41.40", status: "HEALTHY" } });
    await db.accountNodeUsage.create({ data: { accountId: account.id, nodeId: node.id, atDiskLimit: true, measuredAt: new Date() } });
    const got = await callerFor(w.users.resellerA).customer.get({ id: customer.id });
    expect(got.accounts[0]!.nodeUsage).toEqual([{ atDiskLimit: true }]);
    await db.node.delete({ where: { id: node.id } });
    expect((await callerFor(w.users.resellerA).customer.get({ id: customer.id })).accounts[0]!.nodeUsage).toEqual([]);
  });

  it("lets A see subA's customers, and reads other trees' customers as not found", async () => {
    expect((await callerFor(w.users.resellerA).customer.get({ id: w.customers.s.customer.id })).id).toBe(w.customers.s.customer.id);
    expect((await callerFor(w.users.admin).customer.get({ id: w.customers.b.customer.id })).id).toBe(w.customers.b.customer.id);
    for (const [user, id] of [
      [w.users.resellerB, w.customers.a.customer.id],
      [w.users.subA, w.customers.a.customer.id],
      [w.users.resellerA, w.customers.b.customer.id],
    ] as const) {
      expect((await expectFailure(callerFor(user).customer.get({ id }))).code).toBe("NOT_FOUND");
    }
    expect((await expectFailure(callerFor(w.users.admin).customer.get({ id: "nope" }))).code).toBe("NOT_FOUND");
  });

  it("is forbidden to a customer login, even for its own customer", async () => {
    const f = await expectFailure(callerFor(w.users.customerA).customer.get({ id: w.customers.a.customer.id }));
    expect(f.code).toBe("FORBIDDEN");
  });
});

describe("customer.update", () => {
  it("changes name, email and company and records before/after without an outbox row", async () => {
    const { customer } = w.customers.s;
    const before = await counts();
    const updated = await callerFor(w.users.resellerA).customer.update({
      id: customer.id,
      name: "Renamed",
      email: "NEW@Example.test",
      company: "",
    });
    expect(updated).toMatchObject({ name: "Renamed", email: "new@example.test", company: null });
    const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: customer.id, action: "customer.update" } });
    expect(audit.before).toEqual({ name: "Customer SubA", email: customer.email });
    expect(audit.after).toEqual({ name: "Renamed", email: "new@example.test" });
    expect(audit.resellerId).toBe(w.subA.id);
    expect(await counts()).toEqual({ ...before, audit: before.audit + 1 });
  });

  it("reads another tree's customer as not found and changes nothing", async () => {
    const { customer } = w.customers.a;
    const before = await counts();
    for (const user of [w.users.resellerB, w.users.subA]) {
      const f = await expectFailure(callerFor(user).customer.update({ id: customer.id, name: "Hijacked" }));
      expect(f.code).toBe("NOT_FOUND");
    }
    expect((await db.customer.findUniqueOrThrow({ where: { id: customer.id } })).name).toBe("Customer A");
    expect(await counts()).toEqual(before);
  });

  it.each([
    ["name", { name: "Evil\r\nBcc: x@y.test" }],
    ["name", { name: "" }],
    ["email", { email: "not an email" }],
    ["company", { company: "x".repeat(121) }],
  ])("reports bad %s next to the field and changes nothing", async (field, change) => {
    const { customer } = w.customers.a;
    const before = await counts();
    const f = await expectFailure(callerFor(w.users.resellerA).customer.update({ id: customer.id, ...change }));
    expect(Object.keys(f.fields)).toEqual([field]);
    expect(await counts()).toEqual(before);
    expect((await db.customer.findUniqueOrThrow({ where: { id: customer.id } })).name).toBe("Customer A");
  });

  it("is forbidden to a customer login", async () => {
    const f = await expectFailure(callerFor(w.users.customerA).customer.update({ id: w.customers.a.customer.id, name: "Me" }));
    expect(f.code).toBe("FORBIDDEN");
  });
});
