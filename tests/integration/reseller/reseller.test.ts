import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeReseller, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});

let n = 0;
const uniq = () => `${++n}-${Math.random().toString(36).slice(2, 8)}`;
const login = () => ({ email: `owner-${uniq()}@example.test`, name: "Owner" });

async function counts() {
  return {
    resellers: await db.reseller.count(),
    hostnames: await db.brandHostname.count(),
    users: await db.user.count(),
    audit: await db.auditEvent.count(),
    outbox: await db.outboxEvent.count(),
  };
}

describe("reseller.create", () => {
  it("lets an admin create a top-level reseller with brand, hostnames and first login", async () => {
    const before = await counts();
    const email = `First.Owner-${uniq()}@Example.test`;
    const r = await callerFor(w.users.admin).reseller.create({
      name: " Acme Hosting ",
      displayName: "Acme",
      hostnames: ["Panel.Acme.localhost", "cp.acme.test"],
      login: { email, name: "First Owner", password: "" },
    });
    expect(r).toMatchObject({ name: "Acme Hosting", displayName: "Acme", status: "ACTIVE", parent: null });
    expect(r.hostnames).toEqual(["cp.acme.test", "panel.acme.localhost"]);

    const row = await db.reseller.findUniqueOrThrow({ where: { id: r.id }, include: { brand: true } });
    expect(row.parentId).toBe(w.platform.id);
    expect(row.path).toBe(`${w.platform.path}${r.id}/`);
    expect(row.brand?.displayName).toBe("Acme");

    const user = await db.user.findUniqueOrThrow({ where: { email: email.toLowerCase() } });
    expect(user).toMatchObject({ role: "RESELLER", resellerId: r.id, customerId: null });
    // No password given: the person gets a set-password mail instead of a credential.
    expect(await db.account.count({ where: { userId: user.id } })).toBe(0);
    expect(await db.mailMessage.count({ where: { toAddress: email.toLowerCase() } })).toBe(1);

    const after = await counts();
    expect(after).toEqual({
      resellers: before.resellers + 1,
      hostnames: before.hostnames + 2,
      users: before.users + 1,
      audit: before.audit + 1,
      outbox: before.outbox + 1,
    });
    const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: r.id } });
    expect(audit).toMatchObject({ action: "reseller.create", resellerId: w.platform.id, actorId: w.users.admin.id });
    const outbox = await db.outboxEvent.findFirstOrThrow({ where: { aggregateId: r.id } });
    expect(outbox.topic).toBe("reseller.changed");
  });

  it("creates a sub-reseller under the calling reseller, and a sub-reseller can nest further", async () => {
    const r = await callerFor(w.users.resellerA).reseller.create({
      name: "A's child",
      displayName: "Child",
      hostnames: [],
      login: { ...login(), password: "correct horse battery staple" },
    });
    expect(r.parent).toEqual({ id: w.resellerA.id, name: w.resellerA.name });
    const row = await db.reseller.findUniqueOrThrow({ where: { id: r.id } });
    expect(row.path).toBe(`${w.resellerA.path}${r.id}/`);
    const user = await db.user.findFirstOrThrow({ where: { resellerId: r.id } });
    expect(await db.account.count({ where: { userId: user.id, providerId: "credential" } })).toBe(1);

    const grandchild = await callerFor(w.users.subA).reseller.create({
      name: "Sub's child",
      displayName: "Grandchild",
      hostnames: [],
      login: login(),
    });
    expect((await db.reseller.findUniqueOrThrow({ where: { id: grandchild.id } })).path).toBe(
      `${w.subA.path}${grandchild.id}/`,
    );
  });

  it("refuses customers", async () => {
    const f = await expectFailure(
      callerFor(w.users.customerA).reseller.create({ name: "X", displayName: "X", hostnames: [], login: login() }),
    );
    expect(f.code).toBe("FORBIDDEN");
  });

  it("rejects a bad hostname on its row and saves nothing", async () => {
    const before = await counts();
    const f = await expectFailure(
      callerFor(w.users.admin).reseller.create({
        name: "Bad",
        displayName: "Bad",
        hostnames: ["ok.example.test", "https://panel.example.test/"],
        login: login(),
      }),
    );
    expect(f.appCode).toBe("BAD_INPUT");
    expect(Object.keys(f.fields)).toEqual(["hostnames.1"]);
    expect(f.fields["hostnames.1"]).toMatch(/without http/);
    expect(await counts()).toEqual(before);
  });

  it("rejects more than 5 hostnames and a hostname listed twice", async () => {
    const six = Array.from({ length: 6 }, (_, i) => `p${i}.example.test`);
    const f = await expectFailure(
      callerFor(w.users.admin).reseller.create({ name: "X", displayName: "X", hostnames: six, login: login() }),
    );
    expect(f.fields).toHaveProperty("hostnames");
    const g = await expectFailure(
      callerFor(w.users.admin).reseller.create({
        name: "X",
        displayName: "X",
        hostnames: ["a.example.test", "A.example.test"],
        login: login(),
      }),
    );
    expect(g.fields["hostnames.1"]).toMatch(/listed twice/);
  });

  it("rejects a hostname another reseller uses as a field error and leaves nothing behind", async () => {
    await db.brandHostname.create({ data: { hostname: "panel.taken.test", resellerId: w.resellerB.id } });
    const before = await counts();
    const f = await expectFailure(
      callerFor(w.users.resellerA).reseller.create({
        name: "Dup",
        displayName: "Dup",
        hostnames: ["free.example.test", "panel.taken.test"],
        login: login(),
      }),
    );
    expect(f.code).toBe("CONFLICT");
    expect(f.fields).toEqual({ "hostnames.1": "panel.taken.test is already used by another panel." });
    expect(await counts()).toEqual(before);
  });

  it("rejects a taken login email on the login field and rolls the reseller back", async () => {
    const before = await counts();
    const f = await expectFailure(
      callerFor(w.users.admin).reseller.create({
        name: "Dup login",
        displayName: "Dup login",
        hostnames: ["dup-login.example.test"],
        login: { email: w.users.resellerB.email, name: "Someone" },
      }),
    );
    expect(f.code).toBe("CONFLICT");
    expect(f.fields).toHaveProperty(["login.email"]);
    expect(await counts()).toEqual(before);
  });

  it("rejects control characters in names", async () => {
    const before = await counts();
    const f = await expectFailure(
      callerFor(w.users.admin).reseller.create({ name: "Evil\r\nName", displayName: "X", hostnames: [], login: login() }),
    );
    expect(f.fields).toHaveProperty("name");
    expect(await counts()).toEqual(before);
  });
});

describe("reseller.list", () => {
  it("shows an admin every reseller but the platform, searchable and paged by keyset", async () => {
    const admin = callerFor(w.users.admin);
    const all = await admin.reseller.list({ limit: 100 });
    const ids = all.items.map((r) => r.id);
    expect(ids).toContain(w.resellerA.id);
    expect(ids).toContain(w.subA.id);
    expect(ids).not.toContain(w.platform.id);
    const names = all.items.map((r) => r.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof admin.reseller.list>> = await admin.reseller.list({ limit: 2, cursor, sort: "createdAt" });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(all.items.length);

    const found = await admin.reseller.list({ search: "reseller b" });
    expect(found.items.map((r) => r.id)).toEqual([w.resellerB.id]);
    const children = await admin.reseller.list({ parentId: w.resellerA.id });
    expect(children.items.map((r) => r.id)).toContain(w.subA.id);
    expect(children.items.every((r) => r.parent?.id === w.resellerA.id)).toBe(true);
  });

  it("shows a reseller only its descendants", async () => {
    const a = await callerFor(w.users.resellerA).reseller.list({ limit: 100 });
    const ids = a.items.map((r) => r.id);
    expect(ids).toContain(w.subA.id);
    expect(ids).not.toContain(w.resellerA.id);
    expect(ids).not.toContain(w.resellerB.id);
    const b = await callerFor(w.users.resellerB).reseller.list({ limit: 100 });
    expect(b.items.map((r) => r.id)).not.toContain(w.subA.id);
    const other = await callerFor(w.users.resellerB).reseller.list({ parentId: w.resellerA.id });
    expect(other.items).toEqual([]);
  });
});

describe("reseller.get", () => {
  it("reads own tree, and another tree's reseller is not found", async () => {
    const r = await callerFor(w.users.resellerA).reseller.get({ id: w.subA.id });
    expect(r).toMatchObject({ id: w.subA.id, parent: { id: w.resellerA.id }, blockedBy: null, customerCount: 1 });
    expect((await expectFailure(callerFor(w.users.resellerB).reseller.get({ id: w.subA.id }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.subA).reseller.get({ id: w.resellerA.id }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.customerA).reseller.get({ id: w.resellerA.id }))).code).toBe("FORBIDDEN");
  });
});

describe("reseller.update", () => {
  it("renames and replaces hostnames, bumping the generation, with audit and outbox", async () => {
    const child = await makeReseller("Child of A", w.resellerA);
    await db.brandHostname.create({ data: { hostname: "old.child.test", resellerId: child.id } });
    await db.brandHostname.create({ data: { hostname: "keep.child.test", resellerId: child.id } });
    const before = await counts();
    const r = await callerFor(w.users.resellerA).reseller.update({
      id: child.id,
      name: "Renamed",
      hostnames: ["keep.child.test", "new.child.test"],
    });
    expect(r.name).toBe("Renamed");
    expect(r.hostnames).toEqual(["keep.child.test", "new.child.test"]);
    expect(r.generation).toBe(2);
    expect(await counts()).toEqual({ ...before, hostnames: before.hostnames, audit: before.audit + 1, outbox: before.outbox + 1 });
    const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: child.id, action: "reseller.update" } });
    expect(audit.before).toEqual({ name: "Child of A", hostnames: ["keep.child.test", "old.child.test"] });
  });

  it("keeps another tree, the caller itself and the parent out of reach", async () => {
    const child = await makeReseller("Another child of A", w.resellerA);
    const input = { id: child.id, name: "Hijacked", hostnames: [] };
    expect((await expectFailure(callerFor(w.users.resellerB).reseller.update(input))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.subA).reseller.update(input))).code).toBe("NOT_FOUND");
    expect(
      (await expectFailure(callerFor(w.users.subA).reseller.update({ id: w.resellerA.id, name: "X", hostnames: [] }))).code,
    ).toBe("NOT_FOUND");
    expect(
      (await expectFailure(callerFor(w.users.resellerA).reseller.update({ id: w.resellerA.id, name: "X", hostnames: [] }))).code,
    ).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.customerA).reseller.update(input))).code).toBe("FORBIDDEN");
    expect((await db.reseller.findUniqueOrThrow({ where: { id: child.id } })).name).toBe("Another child of A");
  });

  it("rejects a hostname held by another reseller and changes nothing", async () => {
    const child = await makeReseller("Third child of A", w.resellerA);
    await db.brandHostname.create({ data: { hostname: "mine.child.test", resellerId: child.id } });
    await db.brandHostname.create({ data: { hostname: "theirs.b.test", resellerId: w.resellerB.id } });
    const before = await counts();
    const f = await expectFailure(
      callerFor(w.users.admin).reseller.update({ id: child.id, name: "Changed", hostnames: ["theirs.b.test"] }),
    );
    expect(f.fields).toEqual({ "hostnames.0": "theirs.b.test is already used by another panel." });
    expect(await counts()).toEqual(before);
    const row = await db.reseller.findUniqueOrThrow({ where: { id: child.id }, include: { hostnames: true } });
    expect(row.name).toBe("Third child of A");
    expect(row.hostnames.map((h) => h.hostname)).toEqual(["mine.child.test"]);
  });
});
