import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeCustomer, makeUser, makeWorld } from "../../helpers/fixtures";
import { expectChangeRecorded, rejection, rowCounts } from "./helpers";

let world: Awaited<ReturnType<typeof makeWorld>>;
beforeAll(async () => {
  world = await makeWorld();
});

const asA = () => callerFor(world.users.customerA);
const asB = () => callerFor(world.users.customerB);

describe("domain.create", () => {
  it("stores lower-case ASCII, records the operation, audit and outbox together", async () => {
    await db.brand.update({
      where: { resellerId: world.resellerA.id },
      data: { nameservers: ["ns1.reseller-a.test", "ns2.reseller-a.test"] },
    });
    const res = await asA().domain.create({ name: "Shop-One.TEST." });
    const row = await db.domain.findUniqueOrThrow({ where: { id: res.id } });
    expect(row).toMatchObject({ name: "shop-one.test", displayName: "shop-one.test", accountId: world.customers.a.account.id, deletedAt: null });
    const op = await expectChangeRecorded({
      action: "domain.create",
      targetType: "Domain",
      targetId: res.id,
      operationId: res.operationId,
      topic: "domain.reconcile",
      resellerId: world.resellerA.id,
      customerId: world.customers.a.customer.id,
    });
    expect(op.steps.map((s) => s.kind)).toEqual(["DNS zone"]);
    const records = await db.dnsRecord.findMany({ where: { domainId: res.id }, orderBy: { content: "asc" } });
    expect(records.map((r) => [r.name, r.type, r.content])).toEqual([
      ["@", "NS", "ns1.reseller-a.test"],
      ["@", "NS", "ns2.reseller-a.test"],
    ]);
  });

  it("keeps the Unicode form of an IDN for display", async () => {
    const res = await asA().domain.create({ name: "Bücher.test" });
    const got = await asA().domain.get({ id: res.id });
    expect(got).toMatchObject({ name: "xn--bcher-kva.test", displayName: "bücher.test", pending: true });
  });

  it.each([
    ["exa mple.com", /space|whitespace/i],
    ["-bad.com", /hyphen/i],
    ["127.0.0.1", /IP address/i],
    ["", /enter/i],
    ["shop.localhost", /reserved/i],
    ["example", /full domain name/i],
  ])("rejects %j with a message on the name field and writes nothing", async (name, message) => {
    const before = await rowCounts();
    const err = await rejection(asA().domain.create({ name }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.fieldErrors.name).toMatch(message);
    expect(await rowCounts()).toEqual(before);
  });

  it("refuses a name another customer hosts, case-insensitively, and writes nothing", async () => {
    await asA().domain.create({ name: "taken.test" });
    const before = await rowCounts();
    const err = await rejection(asB().domain.create({ name: "TAKEN.test" }));
    expect(err.code).toBe("CONFLICT");
    expect(err.fieldErrors.name).toMatch(/attached to another account; proving control by a DNS TXT record comes with DNS hosting/);
    expect(await rowCounts()).toEqual(before);
  });

  it.each([
    ["a subdomain of it", "tree.test", "shop.tree.test"],
    ["a deeper subdomain of it", "deep.test", "a.b.deep.test"],
    ["a parent of it", "blog.parent.test", "parent.test"],
  ])("refuses %s held by another account, and writes nothing", async (_what, held, claimed) => {
    await asA().domain.create({ name: held });
    const before = await rowCounts();
    const err = await rejection(asB().domain.create({ name: claimed }));
    expect(err.code).toBe("CONFLICT");
    expect(err.fieldErrors.name).toMatch(/attached to another account; proving control by a DNS TXT record comes with DNS hosting/);
    expect(await rowCounts()).toEqual(before);
  });

  it("lets the same account add subdomains of its own domain", async () => {
    await asA().domain.create({ name: "mine.test" });
    await asA().domain.create({ name: "shop.mine.test" });
    expect(await db.domain.count({ where: { name: { in: ["mine.test", "shop.mine.test"] }, deletedAt: null } })).toBe(2);
  });

  it("refuses a panel's address and a node's name as a website's domain", async () => {
    await db.brandHostname.create({ data: { hostname: "panel.brand-b.test", resellerId: world.resellerB.id } });
    await db.node.create({ data: { name: "n1.cluster-nodes.test", address: "192.0.2.61", agentPort: 1 } });
    for (const name of ["panel.brand-b.test", "n1.cluster-nodes.test"]) {
      const before = await rowCounts();
      const err = await rejection(asA().domain.create({ name }));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.fieldErrors.name).toMatch(/control panel's or a cluster server's address/);
      expect(await rowCounts()).toEqual(before);
    }
  });

  it("refuses a domain above or below another tree's panel host, allows it in the panel's own tree", async () => {
    await db.brandHostname.create({ data: { hostname: "cp.b-brand.test", resellerId: world.resellerB.id } });
    for (const name of ["b-brand.test", "x.cp.b-brand.test"]) {
      const before = await rowCounts();
      const err = await rejection(asA().domain.create({ name }));
      expect(err.fieldErrors.name).toMatch(/control panel's or a cluster server's address/);
      expect(await rowCounts()).toEqual(before);
    }
    await asB().domain.create({ name: "b-brand.test" });
  });

  it("two accounts racing for a name and its subdomain: exactly one gets it", async () => {
    for (let round = 0; round < 5; round++) {
      const parent = `race${round}.test`;
      const results = await Promise.allSettled([
        asA().domain.create({ name: parent }),
        asB().domain.create({ name: `www.${parent}` }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(await db.domain.count({ where: { name: { endsWith: parent }, deletedAt: null } })).toBe(1);
    }
  });

  it("refuses a mixed-script name and its xn-- form with a message on the name field", async () => {
    for (const name of ["аpple.test", "xn--pple-43d.test", "раураӏ.com"]) {
      const before = await rowCounts();
      const err = await rejection(asA().domain.create({ name }));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.fieldErrors.name).toMatch(/scripts|look like Latin/);
      expect(await rowCounts()).toEqual(before);
    }
  });

  it("frees the name on soft delete so another customer can add it", async () => {
    const first = await asA().domain.create({ name: "moving.test" });
    const del = await asA().domain.delete({ id: first.id });
    const gone = await db.domain.findUniqueOrThrow({ where: { id: first.id } });
    expect(gone.deletedAt).not.toBeNull();
    expect(gone.generation).toBe(2);
    await expectChangeRecorded({
      action: "domain.delete",
      targetType: "Domain",
      targetId: first.id,
      operationId: del.operationId,
      topic: "domain.reconcile",
      resellerId: world.resellerA.id,
      customerId: world.customers.a.customer.id,
    });
    const again = await asB().domain.create({ name: "moving.test" });
    const row = await db.domain.findUniqueOrThrow({ where: { id: again.id } });
    expect(row.accountId).toBe(world.customers.b.account.id);
    expect(await db.domain.count({ where: { name: "moving.test" } })).toBe(2);
    // The deleted domain no longer reads as the customer's.
    expect((await rejection(asA().domain.get({ id: first.id }))).code).toBe("NOT_FOUND");
  });

  it("refuses changes on a suspended account but still lets it be read", async () => {
    const c = await makeCustomer(world.resellerA.id, "Suspended Co");
    const user = await makeUser("CUSTOMER", world.resellerA.id, c.customer.id);
    const res = await callerFor(user).domain.create({ name: "suspended-co.test" });
    await db.hostingAccount.update({ where: { id: c.account.id }, data: { status: "SUSPENDED" } });
    const before = await rowCounts();
    const err = await rejection(callerFor(user).domain.create({ name: "suspended-co-2.test" }));
    expect(err.code).toBe("PRECONDITION_FAILED");
    expect(err.message).toMatch(/suspended.*read-only/);
    expect((await rejection(callerFor(user).domain.delete({ id: res.id }))).code).toBe("PRECONDITION_FAILED");
    expect(await rowCounts()).toEqual(before);
    const list = await callerFor(user).domain.list({});
    expect(list.items.map((d) => d.name)).toEqual(["suspended-co.test"]);
  });
});

describe("domain.delete", () => {
  it("refuses while a live site uses the domain", async () => {
    const d = await asA().domain.create({ name: "has-site.test" });
    await asA().site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    const before = await rowCounts();
    const err = await rejection(asA().domain.delete({ id: d.id }));
    expect(err.code).toBe("PRECONDITION_FAILED");
    expect(err.message).toMatch(/Delete the site first/);
    expect(await rowCounts()).toEqual(before);
    expect((await db.domain.findUniqueOrThrow({ where: { id: d.id } })).deletedAt).toBeNull();
  });

  it("soft-deletes the zone's records with it", async () => {
    const d = await asA().domain.create({ name: "with-records.test" });
    expect(await db.dnsRecord.count({ where: { domainId: d.id, deletedAt: null } })).toBe(2);
    await asA().domain.delete({ id: d.id });
    expect(await db.dnsRecord.count({ where: { domainId: d.id, deletedAt: null } })).toBe(0);
  });
});

describe("tenancy", () => {
  it("hides customer A's domain from customer B, even with A's account id", async () => {
    const d = await asA().domain.create({ name: "private-a.test" });
    const accountA = world.customers.a.account.id;
    for (const call of [
      () => asB().domain.get({ id: d.id }),
      () => asB().domain.get({ id: d.id, accountId: accountA }),
      () => asB().domain.delete({ id: d.id }),
      () => asB().domain.delete({ id: d.id, accountId: accountA }),
      () => asB().domain.list({ accountId: accountA }),
      () => asB().domain.create({ accountId: accountA, name: "sneaky.test" }),
    ]) {
      expect((await rejection(call())).code).toBe("NOT_FOUND");
    }
    expect((await db.domain.findUniqueOrThrow({ where: { id: d.id } })).deletedAt).toBeNull();
    expect(await db.domain.count({ where: { name: "sneaky.test" } })).toBe(0);
  });

  it("lets resellers read their own customers' domains only", async () => {
    const d = await asA().domain.create({ name: "reseller-view.test" });
    const accountId = world.customers.a.account.id;
    expect((await callerFor(world.users.resellerA).domain.get({ id: d.id })).name).toBe("reseller-view.test");
    const listed = await callerFor(world.users.resellerA).domain.list({ accountId, search: "reseller-view" });
    expect(listed.items.map((i) => i.id)).toEqual([d.id]);
    expect((await rejection(callerFor(world.users.resellerB).domain.get({ id: d.id }))).code).toBe("NOT_FOUND");
    expect((await rejection(callerFor(world.users.resellerB).domain.list({ accountId }))).code).toBe("NOT_FOUND");
    // A sub-reseller sits below A and must not see A's own customers.
    expect((await rejection(callerFor(world.users.subA).domain.get({ id: d.id }))).code).toBe("NOT_FOUND");
  });

  it("asks a reseller which account to list", async () => {
    const err = await rejection(callerFor(world.users.resellerA).domain.list({}));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.fieldErrors.accountId).toBeTruthy();
  });
});

describe("domain.list", () => {
  it("pages with a keyset cursor, searches and sorts", async () => {
    const c = await makeCustomer(world.resellerB.id, "Lister");
    const user = await makeUser("CUSTOMER", world.resellerB.id, c.customer.id);
    const names = ["alpha.test", "bravo.test", "charlie.test", "delta.test", "echo.test"];
    for (const name of names) await callerFor(user).domain.create({ name });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<ReturnType<typeof callerFor>["domain"]["list"]>> = await callerFor(user).domain.list({
        limit: 2,
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((d) => d.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(names);
    const desc = await callerFor(user).domain.list({ direction: "desc", limit: 10 });
    expect(desc.items.map((d) => d.name)).toEqual([...names].reverse());
    const found = await callerFor(user).domain.list({ search: "HARL" });
    expect(found.items.map((d) => d.name)).toEqual(["charlie.test"]);
    const byDate = await callerFor(user).domain.list({ sort: "createdAt", direction: "desc", limit: 1 });
    expect(byDate.items[0]!.name).toBe("echo.test");
  });
});
