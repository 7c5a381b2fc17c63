import { beforeEach, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeEach(async () => {
  w = await makeWorld();
});

async function snapshot(customerId: string) {
  return {
    customer: await db.customer.findUniqueOrThrow({ where: { id: customerId } }),
    accounts: await db.hostingAccount.findMany({ where: { customerId }, orderBy: { id: "asc" } }),
    users: await db.user.findMany({ where: { customerId }, orderBy: { id: "asc" } }),
    audit: await db.auditEvent.count(),
    outbox: await db.outboxEvent.count(),
    sessions: await db.session.count(),
  };
}

/** Outbox rows written after `sinceId` (the files' tests share one database). */
async function outboxSince(sinceId: bigint) {
  return db.outboxEvent.findMany({ where: { id: { gt: sinceId } }, orderBy: { id: "asc" } });
}

async function lastOutboxId(): Promise<bigint> {
  return (await db.outboxEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))?.id ?? 0n;
}

/** A second account with a domain, site and database (with a user, mailbox, record), to tear down. */
async function addHostedObjects(customerId: string, planId: string) {
  const account = await db.hostingAccount.create({ data: { customerId, planId, username: `extra${Date.now() % 100000}` } });
  const domain = await db.domain.create({ data: { accountId: account.id, name: `${account.username}.test`, displayName: `${account.username}.test` } });
  const site = await db.site.create({ data: { accountId: account.id, domainId: domain.id } });
  const database = await db.database.create({ data: { accountId: account.id, siteId: site.id, name: `${account.username}_wp` } });
  await db.databaseUser.create({ data: { databaseId: database.id, username: `${account.username}_wp` } });
  await db.mailbox.create({ data: { domainId: domain.id, localPart: "info", passwordHash: "x" } });
  await db.dnsRecord.create({ data: { domainId: domain.id, name: "@", type: "A", content: "127.0.0.1" } });
  return { account, domain, site, database };
}

describe("customer.suspend / customer.unsuspend", () => {
  it("suspends the customer and its accounts, bumps generations and queues a reconcile per account", async () => {
    const { customer, account, plan } = w.customers.a;
    const extra = await addHostedObjects(customer.id, plan.id);
    const before = await snapshot(customer.id);
    const since = await lastOutboxId();
    const out = await callerFor(w.users.resellerA).customer.suspend({ id: customer.id });
    expect(out.status).toBe("SUSPENDED");
    const after = await snapshot(customer.id);
    expect(after.customer).toMatchObject({ status: "SUSPENDED", generation: before.customer.generation + 1 });
    for (const a of after.accounts) {
      expect(a.status).toBe("SUSPENDED");
      expect(a.generation).toBe(before.accounts.find((b) => b.id === a.id)!.generation + 1);
    }
    const outbox = await outboxSince(since);
    expect(outbox.every((o) => o.topic === "account.reconcile")).toBe(true);
    expect(outbox.map((o) => (o.payload as { accountId: string }).accountId).sort()).toEqual([account.id, extra.account.id].sort());
    const actions = await db.auditEvent.findMany({ where: { customerId: customer.id }, select: { action: true } });
    expect(actions.map((a) => a.action).sort()).toEqual(["account.suspend", "account.suspend", "customer.suspend"]);

    expect((await expectFailure(callerFor(w.users.resellerA).customer.suspend({ id: customer.id }))).code).toBe(
      "PRECONDITION_FAILED",
    );

    const back = await callerFor(w.users.admin).customer.unsuspend({ id: customer.id });
    expect(back.status).toBe("ACTIVE");
    const again = await snapshot(customer.id);
    expect(again.accounts.every((a) => a.status === "ACTIVE")).toBe(true);
    expect(again.customer.generation).toBe(before.customer.generation + 2);
    expect(again.outbox).toBe(before.outbox + 4);
  });

  it("shuts the customer's own logins out while suspended", async () => {
    const { customer } = w.customers.a;
    await callerFor(w.users.resellerA).customer.suspend({ id: customer.id });
    const { loadScope } = await import("../../../server/auth/load-scope");
    await expect(loadScope(db, w.users.customerA)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await callerFor(w.users.resellerA).customer.unsuspend({ id: customer.id });
    await expect(loadScope(db, w.users.customerA)).resolves.toMatchObject({ kind: "customer", customerId: customer.id });
  });

  it("lets A manage subA's customers and reads other trees' customers as not found, changing nothing", async () => {
    await callerFor(w.users.resellerA).customer.suspend({ id: w.customers.s.customer.id });
    const { customer } = w.customers.a;
    const before = await snapshot(customer.id);
    for (const user of [w.users.resellerB, w.users.subA]) {
      expect((await expectFailure(callerFor(user).customer.suspend({ id: customer.id }))).code).toBe("NOT_FOUND");
      expect((await expectFailure(callerFor(user).customer.unsuspend({ id: customer.id }))).code).toBe("NOT_FOUND");
    }
    expect(await snapshot(customer.id)).toEqual(before);
  });

  it("is forbidden to a customer login", async () => {
    const me = callerFor(w.users.customerA);
    const id = w.customers.a.customer.id;
    expect((await expectFailure(me.customer.suspend({ id }))).code).toBe("FORBIDDEN");
    expect((await expectFailure(me.customer.unsuspend({ id }))).code).toBe("FORBIDDEN");
    expect((await expectFailure(me.customer.terminate({ id, confirmName: "Customer A" }))).code).toBe("FORBIDDEN");
  });
});

describe("customer.terminate", () => {
  it("refuses a wrong confirmation name on confirmName and changes nothing", async () => {
    const { customer } = w.customers.a;
    const before = await snapshot(customer.id);
    for (const confirmName of ["customer a", "Customer A ", ""]) {
      const f = await expectFailure(callerFor(w.users.resellerA).customer.terminate({ id: customer.id, confirmName }));
      expect(Object.keys(f.fields)).toEqual(["confirmName"]);
    }
    expect(await snapshot(customer.id)).toEqual(before);
  });

  it("terminates: soft-deletes everything hosted, disables logins, ends sessions, queues teardown", async () => {
    const { customer, account, plan } = w.customers.a;
    const extra = await addHostedObjects(customer.id, plan.id);
    await db.session.create({ data: { token: "t-a", userId: w.users.customerA.id, expiresAt: new Date(Date.now() + 3_600_000) } });
    await db.session.create({ data: { token: "t-b", userId: w.users.customerB.id, expiresAt: new Date(Date.now() + 3_600_000) } });
    const before = await snapshot(customer.id);
    const since = await lastOutboxId();

    const out = await callerFor(w.users.resellerA).customer.terminate({ id: customer.id, confirmName: "Customer A" });
    expect(out.status).toBe("TERMINATED");
    expect(out.accounts.every((a) => a.deletedAt !== null && a.status === "TERMINATED")).toBe(true);

    const after = await snapshot(customer.id);
    expect(after.customer).toMatchObject({ status: "TERMINATED", generation: before.customer.generation + 1 });
    expect(after.accounts.every((a) => a.deletedAt && a.generation > 1)).toBe(true);
    expect(after.users.every((u) => u.disabledAt)).toBe(true);
    expect(await db.session.findMany({ select: { token: true } })).toEqual([{ token: "t-b" }]);
    const accountIds = [account.id, extra.account.id];
    for (const model of [db.domain, db.site, db.database] as const) {
      const rows = await (model as typeof db.domain).findMany({ where: { accountId: { in: accountIds } } });
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.deletedAt !== null)).toBe(true);
    }
    expect(await db.databaseUser.count({ where: { deletedAt: null, database: { accountId: { in: accountIds } } } })).toBe(0);
    expect(await db.mailbox.count({ where: { deletedAt: null, domain: { accountId: { in: accountIds } } } })).toBe(0);
    expect(await db.dnsRecord.count({ where: { deletedAt: null, domain: { accountId: { in: accountIds } } } })).toBe(0);
    const outbox = await outboxSince(since);
    expect(outbox.every((o) => o.topic === "account.reconcile")).toBe(true);
    expect(outbox.map((o) => o.aggregateId).sort()).toEqual([...accountIds].sort());
    const actions = (await db.auditEvent.findMany({ where: { customerId: customer.id }, select: { action: true } })).map((a) => a.action);
    expect(actions.sort()).toEqual(["account.terminate", "account.terminate", "customer.terminate", "user.disable"]);

    // The username is free again for a new owner, and the terminated customer cannot come back.
    const reused = await callerFor(w.users.resellerB).customer.create({
      name: "New owner",
      email: "new@owner.test",
      planId: w.customers.b.plan.id,
      unixUsername: account.username,
      login: { email: "new-owner@owner.test", password: "a long enough passphrase" },
    });
    expect(reused.accounts[0]!.username).toBe(account.username);
    const caller = callerFor(w.users.resellerA);
    for (const call of [
      () => caller.customer.unsuspend({ id: customer.id }),
      () => caller.customer.suspend({ id: customer.id }),
      () => caller.customer.terminate({ id: customer.id, confirmName: "Customer A" }),
      () => caller.customer.update({ id: customer.id, name: "Back" }),
    ]) {
      expect((await expectFailure(call())).code).toBe("PRECONDITION_FAILED");
    }
  });

  it("lets A terminate subA's customer; B and subA read A's as not found and nothing changes", async () => {
    const { customer } = w.customers.a;
    const before = await snapshot(customer.id);
    for (const user of [w.users.resellerB, w.users.subA]) {
      const f = await expectFailure(callerFor(user).customer.terminate({ id: customer.id, confirmName: "Customer A" }));
      expect(f.code).toBe("NOT_FOUND");
    }
    expect(await snapshot(customer.id)).toEqual(before);
    const sub = await callerFor(w.users.resellerA).customer.terminate({ id: w.customers.s.customer.id, confirmName: "Customer SubA" });
    expect(sub.status).toBe("TERMINATED");
  });
});
