import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});

let n = 0;
function input(overrides: Record<string, unknown> = {}) {
  n += 1;
  return {
    name: `Acme ${n}`,
    email: `owner${n}@acme.test`,
    company: "Acme Ltd",
    planId: w.customers.a.plan.id,
    login: { email: `login${n}@acme.test`, password: "a long enough passphrase" },
    ...overrides,
  };
}

async function counts() {
  return {
    customers: await db.customer.count(),
    accounts: await db.hostingAccount.count(),
    users: await db.user.count(),
    credentials: await db.account.count(),
    audit: await db.auditEvent.count(),
    outbox: await db.outboxEvent.count(),
    mail: await db.mailMessage.count(),
  };
}

/** Runs a call that must fail with a field error and proves it left no trace. */
async function rejectsOn(field: string, call: () => Promise<unknown>) {
  const before = await counts();
  const f = await expectFailure(call());
  expect(f.fields).toHaveProperty(field);
  expect(await counts()).toEqual(before);
  return f;
}

describe("customer.create", () => {
  it("creates the customer, its hosting account and its login, with audit and outbox rows", async () => {
    const created = await callerFor(w.users.resellerA).customer.create(
      input({ name: "Café Noir", email: " Owner@Cafe.test ", unixUsername: undefined }),
    );
    expect(created).toMatchObject({ name: "Café Noir", email: "owner@cafe.test", company: "Acme Ltd", status: "ACTIVE" });
    expect(created.reseller).toEqual({ id: w.resellerA.id, name: w.resellerA.name });
    expect(created.accounts).toHaveLength(1);
    const account = created.accounts[0]!;
    expect(account).toMatchObject({ username: "cafe_noir", status: "ACTIVE", plan: { id: w.customers.a.plan.id, name: "Basic" } });
    expect(created.users).toHaveLength(1);

    const user = await db.user.findUniqueOrThrow({ where: { id: created.users[0]!.id } });
    expect(user).toMatchObject({ role: "CUSTOMER", customerId: created.id, resellerId: w.resellerA.id, name: "Café Noir" });
    expect(await db.account.count({ where: { userId: user.id, providerId: "credential" } })).toBe(1);

    const audit = await db.auditEvent.findMany({ where: { customerId: created.id }, orderBy: { action: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["account.create", "customer.create"]);
    expect(audit.every((a) => a.resellerId === w.resellerA.id && a.actorId === w.users.resellerA.id)).toBe(true);
    const outbox = await db.outboxEvent.findMany({ where: { aggregateId: account.id } });
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ topic: "account.reconcile", aggregateType: "HostingAccount", payload: { accountId: account.id } });
  });

  it("suggests a free username from the name, adding a number on collision", async () => {
    const caller = callerFor(w.users.resellerA);
    const one = await caller.customer.create(input({ name: "Blue Whale Ltd" }));
    const two = await caller.customer.create(input({ name: "Blue Whale Ltd" }));
    const three = await caller.customer.create(input({ name: "blue-whale ltd" }));
    expect([one, two, three].map((c) => c.accounts[0]!.username)).toEqual(["blue_whale_ltd", "blue_whale_ltd2", "blue_whale_ltd3"]);
  });

  it("never gives out two usernames where one extends the other at an underscore (their database names could collide)", async () => {
    const caller = callerFor(w.users.resellerA);
    const deli = await caller.customer.create(input({ unixUsername: "deli" }));
    expect(deli.accounts[0]!.username).toBe("deli");
    // Chosen: refused on the field, whichever way round, and nothing saved.
    const f = await rejectsOn("unixUsername", () => caller.customer.create(input({ unixUsername: "deli_noir" })));
    expect(f.fields.unixUsername).toMatch(/Too close to the existing username "deli"/);
    await caller.customer.create(input({ unixUsername: "bistro_bar" }));
    await rejectsOn("unixUsername", () => caller.customer.create(input({ unixUsername: "bistro" })));
    // Suggested: the same name without underscores, then numbered.
    const noir = await caller.customer.create(input({ name: "Deli Noir", unixUsername: undefined }));
    expect(noir.accounts[0]!.username).toBe("delinoir");
    const noir2 = await caller.customer.create(input({ name: "Deli Noir", unixUsername: undefined }));
    expect(noir2.accounts[0]!.username).toBe("delinoir2");
  });

  it("keeps a deleted account's username from a new owner while its sites still have placements", async () => {
    const caller = callerFor(w.users.resellerA);
    const gone = await caller.customer.create(input({ unixUsername: "goner" }));
    const account = await db.hostingAccount.findFirstOrThrow({ where: { customerId: gone.id } });
    const node = await db.node.create({ data: { name: `clash-node-${n}`, address: `127.0.43.${n % 250}` } });
    const domain = await db.domain.create({ data: { accountId: account.id, name: `goner-${n}.test`, displayName: `goner-${n}.test` } });
    const site = await db.site.create({ data: { accountId: account.id, domainId: domain.id, documentRoot: "public" } });
    await db.placement.create({ data: { siteId: site.id, nodeId: node.id, role: "PRIMARY" } });
    await caller.customer.terminate({ id: gone.id, confirmName: gone.name });
    const f = await rejectsOn("unixUsername", () => caller.customer.create(input({ unixUsername: "goner" })));
    expect(f.fields.unixUsername).toMatch(/still being removed/);
    // Its nodes have torn it down (its placements are gone): the name is free again.
    await db.placement.deleteMany({ where: { siteId: site.id } });
    expect((await caller.customer.create(input({ unixUsername: "goner" }))).accounts[0]!.username).toBe("goner");
  });

  it("takes a chosen username and reports a taken one next to the field", async () => {
    const caller = callerFor(w.users.resellerA);
    const chosen = await caller.customer.create(input({ unixUsername: "Chosen_One" }));
    expect(chosen.accounts[0]!.username).toBe("chosen_one");
    const f = await rejectsOn("unixUsername", () => caller.customer.create(input({ unixUsername: "chosen_one" })));
    expect(f.appCode).toBe("ALREADY_EXISTS");
    // Another tree's account holds the name just the same: usernames are cluster-wide.
    await rejectsOn("unixUsername", () =>
      callerFor(w.users.resellerB).customer.create(input({ unixUsername: "chosen_one", planId: w.customers.b.plan.id })),
    );
  });

  it.each([["root"], ["1abc"], ["ab"], ["has-dash"], ["shoal_x"], ["x".repeat(33)]])(
    "rejects the username %j by the grammar",
    async (unixUsername) => {
      await rejectsOn("unixUsername", () => callerFor(w.users.resellerA).customer.create(input({ unixUsername })));
    },
  );

  it("sends a set-password mail when no password is given", async () => {
    const created = await callerFor(w.users.resellerA).customer.create(
      input({ login: { email: "invitee@acme.test", password: "" } }),
    );
    const user = await db.user.findFirstOrThrow({ where: { customerId: created.id } });
    expect(await db.account.count({ where: { userId: user.id } })).toBe(0);
    expect(await db.mailMessage.count({ where: { toAddress: "invitee@acme.test" } })).toBe(1);
  });

  it("lets a reseller create under its sub-reseller with that sub-reseller's plan only", async () => {
    const caller = callerFor(w.users.resellerA);
    const sub = await caller.customer.create(input({ resellerId: w.subA.id, planId: w.customers.s.plan.id }));
    expect(sub.reseller.id).toBe(w.subA.id);
    expect((await db.user.findFirstOrThrow({ where: { customerId: sub.id } })).resellerId).toBe(w.subA.id);
    // A's own plan is visible to A, but a customer of subA can only be on subA's plans.
    await rejectsOn("planId", () => caller.customer.create(input({ resellerId: w.subA.id, planId: w.customers.a.plan.id })));
  });

  it("refuses a reseller outside the caller's tree as not found", async () => {
    const before = await counts();
    for (const [user, resellerId] of [
      [w.users.resellerB, w.resellerA.id],
      [w.users.subA, w.resellerA.id],
      [w.users.resellerA, w.resellerB.id],
    ] as const) {
      const f = await expectFailure(callerFor(user).customer.create(input({ resellerId })));
      expect(f.code).toBe("NOT_FOUND");
    }
    expect(await counts()).toEqual(before);
  });

  it("needs an admin to name the reseller", async () => {
    await rejectsOn("resellerId", () => callerFor(w.users.admin).customer.create(input()));
    const created = await callerFor(w.users.admin).customer.create(input({ resellerId: w.resellerA.id }));
    expect(created.reseller.id).toBe(w.resellerA.id);
  });

  it("refuses another reseller's plan and an archived plan on the plan field", async () => {
    await rejectsOn("planId", () => callerFor(w.users.resellerA).customer.create(input({ planId: w.customers.b.plan.id })));
    const archived = await db.plan.create({
      data: {
        resellerId: w.resellerA.id,
        name: "Old",
        maxSites: 1,
        diskMb: 1000,
        maxDatabases: 1,
        maxMailboxes: 1,
        trafficGbMonth: 1,
        archivedAt: new Date(),
      },
    });
    await rejectsOn("planId", () => callerFor(w.users.resellerA).customer.create(input({ planId: archived.id })));
  });

  it.each([
    ["email", { email: "not-an-email" }],
    ["email", { email: "a@b.test\r\nBcc: x@y.test" }],
    ["name", { name: "Evil\r\nX-Header: 1" }],
    ["name", { name: "Nul\0" }],
    ["name", { name: "   " }],
    ["company", { company: "Line\nbreak" }],
    ["login.email", { login: { email: "nope", password: "a long enough passphrase" } }],
    ["login.password", { login: { email: "short@acme.test", password: "short" } }],
    ["planId", { planId: "" }],
  ])("reports bad %s next to the field and writes nothing", async (field, overrides) => {
    await rejectsOn(field, () => callerFor(w.users.resellerA).customer.create(input(overrides)));
  });

  it("reports a login email that already exists on login.email and writes nothing", async () => {
    const f = await rejectsOn("login.email", () =>
      callerFor(w.users.resellerA).customer.create(input({ login: { email: w.users.resellerB.email, password: "a long enough passphrase" } })),
    );
    expect(f.appCode).toBe("ALREADY_EXISTS");
  });

  it("is forbidden to a customer login", async () => {
    const f = await expectFailure(callerFor(w.users.customerA).customer.create(input()));
    expect(f.code).toBe("FORBIDDEN");
  });
});
