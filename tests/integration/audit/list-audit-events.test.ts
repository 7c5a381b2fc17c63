import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { createCaller } from "../../../server/trpc/root";
import { authFor, callerFor, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
const t0 = new Date("2030-06-01T12:00:00Z");

beforeAll(async () => {
  w = await makeWorld();
  const event = (i: number, resellerId: string, action: string, extra: Record<string, unknown> = {}) => ({
    resellerId,
    action,
    targetType: action.split(".")[0] === "plan" ? "Plan" : "Customer",
    targetId: `t${i}`,
    actorEmail: `person${i % 3}@example.test`,
    // Pairs share a timestamp so the keyset must break ties by id.
    createdAt: new Date(t0.getTime() + Math.floor(i / 2) * 60_000),
    ...extra,
  });
  const rows = [];
  for (let i = 0; i < 60; i++) rows.push(event(i, w.resellerA.id, i % 2 ? "customer.suspend" : "customer.update"));
  for (let i = 60; i < 70; i++) rows.push(event(i, w.subA.id, "plan.create"));
  for (let i = 70; i < 75; i++) rows.push(event(i, w.resellerB.id, "customer.terminate"));
  await db.auditEvent.createMany({ data: rows });
});

async function everyPage(caller: ReturnType<typeof callerFor>, input: Record<string, unknown> = {}) {
  const seen: { id: string; createdAt: Date }[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof caller.audit.list>> = await caller.audit.list({ ...input, cursor });
    seen.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return seen;
}

describe("audit.list", () => {
  it("pages newest first, 50 to a page, every event exactly once", async () => {
    const first = await callerFor(w.users.admin).audit.list({});
    expect(first.items).toHaveLength(50);
    expect(first.nextCursor).not.toBeNull();
    const seen = await everyPage(callerFor(w.users.admin), { limit: 7 });
    expect(seen).toHaveLength(await db.auditEvent.count());
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    const times = seen.map((e) => e.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("scopes resellers to their tree", async () => {
    const a = await everyPage(callerFor(w.users.resellerA));
    expect(a).toHaveLength(70);
    const s = await everyPage(callerFor(w.users.subA));
    expect(s).toHaveLength(10);
    const b = await everyPage(callerFor(w.users.resellerB));
    expect(b).toHaveLength(5);
    expect(new Set([...a, ...b].map((e) => e.id)).size).toBe(75);
  });

  it("filters by exact action, action prefix, actor email, target type and date range", async () => {
    const admin = callerFor(w.users.admin);
    expect(await everyPage(admin, { action: "customer.suspend" })).toHaveLength(30);
    expect(await everyPage(admin, { action: "customer." })).toHaveLength(0);
    expect(await everyPage(admin, { action: "customer.", actionPrefix: true })).toHaveLength(65);
    expect(await everyPage(admin, { actorEmail: "PERSON1@" })).toHaveLength(25);
    expect(await everyPage(admin, { targetType: "Plan" })).toHaveLength(10);
    const ranged = await everyPage(admin, {
      from: new Date(t0.getTime() + 60_000),
      to: new Date(t0.getTime() + 2 * 60_000),
    });
    expect(ranged).toHaveLength(4);
    const f = await expectFailure(admin.audit.list({ from: new Date(t0.getTime() + 1), to: t0 }));
    expect(Object.keys(f.fields)).toEqual(["to"]);
  });

  it("records a real change with who did it, through whom, and from where; filters impersonated ones", async () => {
    const impersonated = createCaller({
      headers: new Headers(),
      ip: "203.0.113.9",
      auth: authFor(w.users.resellerA, { id: w.users.admin.id, email: w.users.admin.email, name: w.users.admin.name }),
    });
    await impersonated.customer.update({ id: w.customers.a.customer.id, name: "Customer A2" });
    const only = await callerFor(w.users.resellerA).audit.list({ impersonatedOnly: true });
    expect(only.items).toHaveLength(1);
    expect(only.items[0]).toMatchObject({
      action: "customer.update",
      targetType: "Customer",
      targetId: w.customers.a.customer.id,
      actorEmail: w.users.resellerA.email,
      // Platform staff are "Platform support" to a reseller: no address, no IP.
      impersonatorEmail: "Platform support",
      ip: null,
      before: { name: "Customer A" },
      after: { name: "Customer A2" },
      reseller: { id: w.resellerA.id, name: "Reseller A" },
    });
    const asAdmin = await callerFor(w.users.admin).audit.list({ impersonatedOnly: true });
    expect(asAdmin.items.find((e) => e.targetId === w.customers.a.customer.id)).toMatchObject({
      impersonatorEmail: w.users.admin.email,
      ip: "203.0.113.9",
    });
    // B's audit log does not show A's event.
    expect((await callerFor(w.users.resellerB).audit.list({ impersonatedOnly: true })).items).toEqual([]);
  });

  it("shows an admin's own change in a reseller's tree as Platform support, and a search by the admin's address finds nothing", async () => {
    await callerFor(w.users.admin).customer.update({ id: w.customers.b.customer.id, name: "Customer B2" });
    const seen = (await callerFor(w.users.resellerB).audit.list({ action: "customer.update" })).items;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ actorEmail: "Platform support", actorId: null, ip: null });
    expect(JSON.stringify(seen)).not.toContain(w.users.admin.email);
    expect(JSON.stringify(seen)).not.toContain(w.users.admin.id);
    expect((await callerFor(w.users.resellerB).audit.list({ actorEmail: w.users.admin.email })).items).toEqual([]);
    const asAdmin = (await callerFor(w.users.admin).audit.list({ action: "customer.update", actorEmail: w.users.admin.email })).items;
    expect(asAdmin.some((e) => e.actorEmail === w.users.admin.email)).toBe(true);
  });

  it("is forbidden to a customer login", async () => {
    expect((await expectFailure(callerFor(w.users.customerA).audit.list({}))).code).toBe("FORBIDDEN");
  });
});
