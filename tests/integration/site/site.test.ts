import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeCustomer, makeUser, makeWorld } from "../../helpers/fixtures";
import { expectChangeRecorded, rejection, rowCounts } from "../domain/helpers";

let world: Awaited<ReturnType<typeof makeWorld>>;
beforeAll(async () => {
  world = await makeWorld();
});

const asA = () => callerFor(world.users.customerA);
const asB = () => callerFor(world.users.customerB);
const site = { phpVersion: "8.2", documentRoot: "public" } as const;

/** A customer of their own (with its own plan) so limit tests do not disturb the others. */
async function freshCustomer(limits: { maxSites?: number; maxDatabases?: number } = {}) {
  const c = await makeCustomer(world.resellerB.id);
  const plan = await db.plan.create({
    data: {
      resellerId: world.resellerB.id,
      name: `Plan ${c.account.username}`,
      maxSites: limits.maxSites ?? 5,
      maxDatabases: limits.maxDatabases ?? 5,
      diskMb: 1000,
      maxMailboxes: 1,
      trafficGbMonth: 1,
    },
  });
  await db.hostingAccount.update({ where: { id: c.account.id }, data: { planId: plan.id } });
  const user = await makeUser("CUSTOMER", world.resellerB.id, c.customer.id);
  return { ...c, user, caller: callerFor(user) };
}

describe("site.create", () => {
  it("writes the site, an operation with every step pending, audit and outbox", async () => {
    const d = await asA().domain.create({ name: "plain-site.test" });
    const res = await asA().site.create({ domainId: d.id, app: "NONE", ...site, documentRoot: "web/public_html" });
    const row = await db.site.findUniqueOrThrow({ where: { id: res.id } });
    expect(row).toMatchObject({ domainId: d.id, app: "NONE", documentRoot: "web/public_html", phpVersion: "8.2", generation: 1 });
    const op = await expectChangeRecorded({
      action: "site.create",
      targetType: "Site",
      targetId: res.id,
      operationId: res.operationId,
      topic: "site.reconcile",
      resellerId: world.resellerA.id,
      customerId: world.customers.a.customer.id,
    });
    expect(op.steps.map((s) => s.kind)).toEqual([
      "placement",
      "account",
      "site store",
      "vhost + php-fpm pool",
      "route",
      "serve check",
    ]);
    expect(await db.database.count({ where: { siteId: res.id } })).toBe(0);
  });

  it("gives WordPress its own database and user named after the account", async () => {
    const username = world.customers.a.account.username;
    const d1 = await asA().domain.create({ name: "blog-one.test" });
    const d2 = await asA().domain.create({ name: "blog-two.test" });
    const one = await asA().site.create({ domainId: d1.id, app: "WORDPRESS", ...site });
    const two = await asA().site.create({ domainId: d2.id, app: "WORDPRESS", ...site });
    const dbs = await db.database.findMany({
      where: { siteId: { in: [one.id, two.id] } },
      include: { users: true },
      orderBy: { name: "asc" },
    });
    expect(dbs.map((x) => [x.name, x.users.map((u) => u.username)])).toEqual([
      [`${username}_wp`, [`${username}_wp`]],
      [`${username}_wp2`, [`${username}_wp2`]],
    ]);
    const op = await db.operation.findUniqueOrThrow({ where: { id: one.operationId }, include: { steps: { orderBy: { index: "asc" } } } });
    expect(op.steps.map((s) => [s.kind, s.target])).toContainEqual(["database", `${username}_wp`]);
    expect(op.steps.map((s) => [s.kind, s.target])).toContainEqual(["app install", "WordPress"]);
    const got = await asA().site.get({ id: one.id });
    expect(got.databases.map((x) => x.name)).toEqual([`${username}_wp`]);
    expect(got.latestOperation?.id).toBe(one.operationId);
    expect(got.latestOperation?.steps.map((s) => s.index)).toEqual(got.latestOperation?.steps.map((_, i) => i));
  });

  it.each([
    ["/var/www", /leading "\/"/],
    ["a/../../etc", /"\.\."/],
    ["..", /"\.\."/],
    ["public//x", /empty/],
    ["pub lic", /a space/],
    ["public\nroot /", /control character/],
    ["x".repeat(201), /200/],
  ])("rejects the document root %j on its field and writes nothing", async (documentRoot, message) => {
    const d = await asA().domain.create({ name: `docroot-${Math.random().toString(36).slice(2, 8)}.test` });
    const before = await rowCounts();
    const err = await rejection(asA().site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.fieldErrors.documentRoot).toMatch(message);
    expect(await rowCounts()).toEqual(before);
  });

  it("rejects an unknown PHP version and app on their fields", async () => {
    const d = await asA().domain.create({ name: "php-version.test" });
    const bad = { domainId: d.id, app: "DRUPAL", phpVersion: "5.6", documentRoot: "public" } as unknown as Parameters<
      ReturnType<typeof asA>["site"]["create"]
    >[0];
    const err = await rejection(asA().site.create(bad));
    expect(Object.keys(err.fieldErrors).sort()).toEqual(["app", "phpVersion"]);
  });

  it("refuses an app the catalog does not offer, on the app field", async () => {
    const d = await asA().domain.create({ name: "mediawiki.test" });
    const before = await rowCounts();
    const err = await rejection(asA().site.create({ domainId: d.id, app: "MEDIAWIKI", ...site }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.fieldErrors.app).toBe("MediaWiki is not offered yet: choose DokuWiki for a wiki.");
    expect(await rowCounts()).toEqual(before);
  });

  it("allows one live site per domain, as a field error on the domain", async () => {
    const d = await asA().domain.create({ name: "one-site.test" });
    await asA().site.create({ domainId: d.id, app: "NONE", ...site });
    const before = await rowCounts();
    const err = await rejection(asA().site.create({ domainId: d.id, app: "DOKUWIKI", ...site }));
    expect(err.code).toBe("CONFLICT");
    expect(err.fieldErrors.domainId).toBe("This domain already has a site.");
    expect(await rowCounts()).toEqual(before);
  });

  it("enforces the plan's site limit over live sites", async () => {
    const c = await freshCustomer({ maxSites: 1 });
    const d1 = await c.caller.domain.create({ name: `${c.account.username}-1.test` });
    const d2 = await c.caller.domain.create({ name: `${c.account.username}-2.test` });
    const first = await c.caller.site.create({ domainId: d1.id, app: "NONE", ...site });
    const before = await rowCounts();
    const err = await rejection(c.caller.site.create({ domainId: d2.id, app: "NONE", ...site }));
    expect(err.code).toBe("FORBIDDEN");
    expect(err.message).toMatch(/allows 1 site and all are in use/);
    expect(await rowCounts()).toEqual(before);
    // A deleted site no longer counts.
    await c.caller.site.delete({ id: first.id });
    await c.caller.site.create({ domainId: d2.id, app: "NONE", ...site });
  });

  it("holds the site limit when two creates race (the account row is locked)", async () => {
    const c = await freshCustomer({ maxSites: 1 });
    const d1 = await c.caller.domain.create({ name: `${c.account.username}-race1.test` });
    const d2 = await c.caller.domain.create({ name: `${c.account.username}-race2.test` });
    const results = await Promise.allSettled([
      c.caller.site.create({ domainId: d1.id, app: "NONE", ...site }),
      c.caller.site.create({ domainId: d2.id, app: "NONE", ...site }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await db.site.count({ where: { accountId: c.account.id, deletedAt: null } })).toBe(1);
  });

  it("counts an app's database against the plan's database limit", async () => {
    const c = await freshCustomer({ maxDatabases: 1 });
    await c.caller.database.create({ name: "shop" });
    const d = await c.caller.domain.create({ name: `${c.account.username}-wiki.test` });
    const before = await rowCounts();
    const err = await rejection(c.caller.site.create({ domainId: d.id, app: "WORDPRESS", ...site }));
    expect(err.code).toBe("FORBIDDEN");
    expect(err.message).toMatch(/WordPress needs a database.*allows 1 database/);
    expect(await rowCounts()).toEqual(before);
    // DokuWiki keeps its pages in files and needs no database.
    await c.caller.site.create({ domainId: d.id, app: "DOKUWIKI", ...site });
  });

  it("will not build a site on another customer's domain", async () => {
    const d = await asA().domain.create({ name: "not-yours.test" });
    const before = await rowCounts();
    const err = await rejection(asB().site.create({ domainId: d.id, app: "NONE", ...site }));
    expect(err.code).toBe("NOT_FOUND");
    expect(err.fieldErrors.domainId).toBeTruthy();
    expect(await rowCounts()).toEqual(before);
  });
});

describe("site.delete", () => {
  it("soft-deletes the site and the databases made for it, not the customer's own", async () => {
    const c = await freshCustomer();
    const own = await c.caller.database.create({ name: "keepme" });
    const d = await c.caller.domain.create({ name: `${c.account.username}-wp.test` });
    const s = await c.caller.site.create({ domainId: d.id, app: "WORDPRESS", ...site });
    const del = await c.caller.site.delete({ id: s.id });
    const row = await db.site.findUniqueOrThrow({ where: { id: s.id } });
    expect(row.deletedAt).not.toBeNull();
    expect(row.generation).toBe(2);
    const appDb = await db.database.findFirstOrThrow({ where: { siteId: s.id }, include: { users: true } });
    expect(appDb.deletedAt).not.toBeNull();
    expect(appDb.generation).toBe(2);
    expect(appDb.users.every((u) => u.deletedAt !== null)).toBe(true);
    expect((await db.database.findUniqueOrThrow({ where: { id: own.id } })).deletedAt).toBeNull();
    const op = await expectChangeRecorded({
      action: "site.delete",
      targetType: "Site",
      targetId: s.id,
      operationId: del.operationId,
      topic: "site.reconcile",
      resellerId: world.resellerB.id,
      customerId: c.customer.id,
    });
    expect(op.steps.map((x) => x.kind)).toEqual(["route", "vhost + php-fpm pool", "database", "site store"]);
    // The domain is free for a new site, and the domain itself can now go.
    await c.caller.domain.delete({ id: d.id });
  });
});

describe("tenancy and lists", () => {
  it("hides customer A's site from customer B and reseller B", async () => {
    const d = await asA().domain.create({ name: "hidden-site.test" });
    const s = await asA().site.create({ domainId: d.id, app: "NONE", ...site });
    const accountId = world.customers.a.account.id;
    const calls = [
      () => asB().site.get({ id: s.id }),
      () => asB().site.get({ id: s.id, accountId }),
      () => asB().site.delete({ id: s.id }),
      () => asB().site.delete({ id: s.id, accountId }),
      () => asB().site.list({ accountId }),
      () => callerFor(world.users.resellerB).site.get({ id: s.id }),
      () => callerFor(world.users.resellerB).site.list({ accountId }),
    ];
    for (const call of calls) expect((await rejection(call())).code).toBe("NOT_FOUND");
    expect((await db.site.findUniqueOrThrow({ where: { id: s.id } })).deletedAt).toBeNull();
    expect((await callerFor(world.users.resellerA).site.get({ id: s.id })).domain.name).toBe("hidden-site.test");
    expect((await callerFor(world.users.admin).site.get({ id: s.id })).id).toBe(s.id);
  });

  it("lists newest first with each site's latest operation and searches by domain", async () => {
    const c = await freshCustomer();
    const ids: string[] = [];
    for (const n of ["red", "green", "blue"]) {
      const d = await c.caller.domain.create({ name: `${n}-${c.account.username}.test` });
      ids.push((await c.caller.site.create({ domainId: d.id, app: "NONE", ...site })).id);
    }
    const page1 = await c.caller.site.list({ limit: 2 });
    const page2 = await c.caller.site.list({ limit: 2, cursor: page1.nextCursor });
    expect([...page1.items, ...page2.items].map((s) => s.id)).toEqual([...ids].reverse());
    expect(page2.nextCursor).toBeNull();
    for (const s of page1.items) {
      expect(s.latestOperation?.kind).toBe("site.create");
      expect(s.latestOperation?.status).toBe("PENDING");
      expect(s.pending).toBe(true);
    }
    const found = await c.caller.site.list({ search: "GREEN" });
    expect(found.items.map((s) => s.id)).toEqual([ids[1]]);
  });
});
