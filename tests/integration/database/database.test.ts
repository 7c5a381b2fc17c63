import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeCustomer, makeUser, makeWorld } from "../../helpers/fixtures";
import { expectChangeRecorded, rejection, rowCounts } from "../domain/helpers";

let world: Awaited<ReturnType<typeof makeWorld>>;
beforeAll(async () => {
  world = await makeWorld();
  // Customer A creates more databases here than the fixture plan's five.
  await db.plan.update({ where: { id: world.customers.a.plan.id }, data: { maxDatabases: 50 } });
});

const asA = () => callerFor(world.users.customerA);
const asB = () => callerFor(world.users.customerB);
const userA = () => world.customers.a.account.username;

describe("database.create", () => {
  it("prefixes the name and user with the account, writes operation, audit and outbox, and no secret", async () => {
    const res = await asA().database.create({ name: "shop" });
    const row = await db.database.findUniqueOrThrow({ where: { id: res.id }, include: { users: true } });
    expect(row).toMatchObject({ name: `${userA()}_shop`, siteId: null, accountId: world.customers.a.account.id });
    expect(row.users.map((u) => u.username)).toEqual([`${userA()}_shop`]);
    const op = await expectChangeRecorded({
      action: "database.create",
      targetType: "Database",
      targetId: res.id,
      operationId: res.operationId,
      topic: "database.reconcile",
      resellerId: world.resellerA.id,
      customerId: world.customers.a.customer.id,
    });
    expect(op.steps.map((s) => s.kind)).toEqual(["database", "database user"]);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: res.id } });
    expect(JSON.stringify(audit.after)).not.toMatch(/password/i);
  });

  it("accepts the full name and a chosen user name", async () => {
    const res = await asA().database.create({ name: `${userA()}_Blog`, username: "blogger" });
    const row = await db.database.findUniqueOrThrow({ where: { id: res.id }, include: { users: true } });
    expect(row.name).toBe(`${userA()}_blog`);
    expect(row.users.map((u) => u.username)).toEqual([`${userA()}_blogger`]);
  });

  it("cuts the default user name to 32 characters", async () => {
    const long = "a".repeat(40);
    const res = await asA().database.create({ name: long });
    const row = await db.database.findUniqueOrThrow({ where: { id: res.id }, include: { users: true } });
    expect(row.name).toBe(`${userA()}_${long}`);
    expect(row.users[0]!.username).toBe(`${userA()}_${long}`.slice(0, 32));
  });

  it.each([
    [{ name: "bad-name" }, "name", /"-" is not allowed/],
    [{ name: "" }, "name", /Enter a name/],
    [{ name: "x".repeat(70) }, "name", /at most/],
    [{ name: "okname", username: "bad user" }, "username", /" " is not allowed/],
    [{ name: "okname2", username: "u".repeat(40) }, "username", /at most/],
  ])("rejects %j on the %s field and writes nothing", async (input, field, message) => {
    const before = await rowCounts();
    const err = await rejection(asA().database.create(input));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.fieldErrors[field]).toMatch(message);
    expect(await rowCounts()).toEqual(before);
  });

  it("refuses a name in use, on the name field", async () => {
    await asA().database.create({ name: "dupe" });
    const before = await rowCounts();
    const err = await rejection(asA().database.create({ name: "dupe", username: "other" }));
    expect(err.code).toBe("CONFLICT");
    expect(err.fieldErrors.name).toBe("A database with this name already exists.");
    expect(await rowCounts()).toEqual(before);
  });

  it("rolls back the database row when its user name is taken (one transaction)", async () => {
    await asA().database.create({ name: "first", username: "shared" });
    const before = await rowCounts();
    const err = await rejection(asA().database.create({ name: "second", username: "shared" }));
    expect(err.code).toBe("CONFLICT");
    expect(err.fieldErrors.username).toBe("A database user with this name already exists.");
    expect(await rowCounts()).toEqual(before);
    expect(await db.database.count({ where: { name: `${userA()}_second` } })).toBe(0);
  });

  it("enforces the plan's database limit over live databases", async () => {
    const c = await makeCustomer(world.resellerB.id);
    const plan = await db.plan.create({
      data: { resellerId: world.resellerB.id, name: "Tiny", maxSites: 1, maxDatabases: 2, diskMb: 100, maxMailboxes: 0, trafficGbMonth: 1 },
    });
    await db.hostingAccount.update({ where: { id: c.account.id }, data: { planId: plan.id } });
    const caller = callerFor(await makeUser("CUSTOMER", world.resellerB.id, c.customer.id));
    const one = await caller.database.create({ name: "one" });
    await caller.database.create({ name: "two" });
    const before = await rowCounts();
    const err = await rejection(caller.database.create({ name: "three" }));
    expect(err.code).toBe("FORBIDDEN");
    expect(err.message).toMatch(/"Tiny" allows 2 databases/);
    expect(await rowCounts()).toEqual(before);
    await caller.database.delete({ id: one.id });
    await caller.database.create({ name: "three" });
  });
});

describe("database.delete", () => {
  it("soft-deletes the database and its users; the name can be used again", async () => {
    const res = await asA().database.create({ name: "temp" });
    const del = await asA().database.delete({ id: res.id });
    const row = await db.database.findUniqueOrThrow({ where: { id: res.id }, include: { users: true } });
    expect(row.deletedAt).not.toBeNull();
    expect(row.generation).toBe(2);
    expect(row.users.every((u) => u.deletedAt !== null && u.generation === 2)).toBe(true);
    await expectChangeRecorded({
      action: "database.delete",
      targetType: "Database",
      targetId: res.id,
      operationId: del.operationId,
      topic: "database.reconcile",
      resellerId: world.resellerA.id,
      customerId: world.customers.a.customer.id,
    });
    const list = await asA().database.list({ search: "temp" });
    expect(list.items).toHaveLength(0);
    await asA().database.create({ name: "temp" });
  });

  it("refuses to delete an app's database while its site lives", async () => {
    const d = await asA().domain.create({ name: "db-owner.test" });
    const s = await asA().site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    const appDb = await db.database.findFirstOrThrow({ where: { siteId: s.id } });
    const before = await rowCounts();
    const err = await rejection(asA().database.delete({ id: appDb.id }));
    expect(err.code).toBe("PRECONDITION_FAILED");
    expect(err.message).toMatch(/belongs to the site on db-owner\.test/);
    expect(await rowCounts()).toEqual(before);
  });
});

describe("tenancy and lists", () => {
  it("hides customer A's databases from customer B and reseller B", async () => {
    const res = await asA().database.create({ name: "secret" });
    const accountId = world.customers.a.account.id;
    const calls = [
      () => asB().database.delete({ id: res.id }),
      () => asB().database.delete({ id: res.id, accountId }),
      () => asB().database.list({ accountId }),
      () => asB().database.create({ accountId, name: "sneaky" }),
      () => callerFor(world.users.resellerB).database.list({ accountId }),
      () => callerFor(world.users.resellerB).database.delete({ id: res.id }),
    ];
    for (const call of calls) expect((await rejection(call())).code).toBe("NOT_FOUND");
    expect((await db.database.findUniqueOrThrow({ where: { id: res.id } })).deletedAt).toBeNull();
    const seen = await callerFor(world.users.resellerA).database.list({ accountId, search: "secret" });
    expect(seen.items.map((d) => d.id)).toEqual([res.id]);
  });

  it("lists with users and the owning site, sorted and paged", async () => {
    const c = await makeCustomer(world.resellerA.id);
    const caller = callerFor(await makeUser("CUSTOMER", world.resellerA.id, c.customer.id));
    for (const n of ["cc", "aa", "bb"]) await caller.database.create({ name: n });
    const p1 = await caller.database.list({ limit: 2 });
    const p2 = await caller.database.list({ limit: 2, cursor: p1.nextCursor });
    const u = c.account.username;
    expect([...p1.items, ...p2.items].map((d) => d.name)).toEqual([`${u}_aa`, `${u}_bb`, `${u}_cc`]);
    expect(p1.items[0]).toMatchObject({ users: [{ username: `${u}_aa` }], site: null, pending: true });
    const newest = await caller.database.list({ sort: "createdAt", direction: "desc", limit: 1 });
    expect(newest.items[0]!.name).toBe(`${u}_bb`);
  });
});
