import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeCustomer, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
  // Ties on name (and on createdAt within a batch) are what keyset pagination must survive.
  for (let i = 0; i < 7; i++) await makeCustomer(w.resellerA.id, "Same Name");
  for (let i = 0; i < 4; i++) await makeCustomer(w.subA.id, `Sub customer ${i}`);
  await makeCustomer(w.resellerB.id, "Zebra Hosting");
  await db.customer.updateMany({ where: { name: "Sub customer 0" }, data: { status: "SUSPENDED" } });
  await db.customer.updateMany({ where: { name: "Sub customer 1" }, data: { email: "special-Contact@Findme.test" } });
  // Same instant for several rows, so the createdAt sort has ties too.
  await db.customer.updateMany({ where: { name: "Same Name" }, data: { createdAt: new Date("2030-01-01T00:00:00Z") } });
});

type Caller = ReturnType<typeof callerFor>;
type ListInput = Parameters<Caller["customer"]["list"]>[0];

async function everyPage(caller: Caller, input: ListInput) {
  const seen: { id: string; name: string; createdAt: Date }[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Awaited<ReturnType<Caller["customer"]["list"]>> = await caller.customer.list({ ...input, cursor });
    seen.push(...page.items);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && pages < 100);
  return { seen, pages };
}

describe("customer.list", () => {
  it("returns every row exactly once across pages, for both sorts and both directions", async () => {
    const total = await db.customer.count();
    for (const sort of ["name", "createdAt"] as const) {
      for (const direction of ["asc", "desc"] as const) {
        const { seen, pages } = await everyPage(callerFor(w.users.admin), { limit: 3, sort, direction });
        expect(pages).toBeGreaterThan(3);
        expect(seen).toHaveLength(total);
        expect(new Set(seen.map((c) => c.id)).size).toBe(total);
        const keys = seen.map((c) => (sort === "name" ? c.name : c.createdAt.toISOString()));
        const sorted = [...keys].sort();
        expect(keys).toEqual(direction === "asc" ? sorted : sorted.reverse());
      }
    }
  });

  it("scopes each reseller to its own tree", async () => {
    const ids = async (user: World["users"]["admin"]) =>
      new Set((await everyPage(callerFor(user), { limit: 100 })).seen.map((c) => c.id));
    const inTree = async (resellerIds: string[]) =>
      new Set((await db.customer.findMany({ where: { resellerId: { in: resellerIds } }, select: { id: true } })).map((c) => c.id));
    expect(await ids(w.users.resellerA)).toEqual(await inTree([w.resellerA.id, w.subA.id]));
    expect(await ids(w.users.subA)).toEqual(await inTree([w.subA.id]));
    expect(await ids(w.users.resellerB)).toEqual(await inTree([w.resellerB.id]));
    expect((await ids(w.users.admin)).size).toBe(await db.customer.count());
  });

  it("shows the owning reseller's name on each row", async () => {
    const rows = (await callerFor(w.users.resellerA).customer.list({ limit: 100 })).items;
    const sub = rows.find((r) => r.name === "Sub customer 2")!;
    expect(sub.reseller).toEqual({ id: w.subA.id, name: "Sub A" });
  });

  it("searches name or email, case-insensitively, within the scope", async () => {
    const byEmail = await callerFor(w.users.resellerA).customer.list({ search: "FINDME" });
    expect(byEmail.items.map((c) => c.name)).toEqual(["Sub customer 1"]);
    const byName = await callerFor(w.users.resellerA).customer.list({ search: "same", limit: 100 });
    expect(byName.items).toHaveLength(7);
    expect((await callerFor(w.users.resellerA).customer.list({ search: "zebra" })).items).toEqual([]);
    expect((await callerFor(w.users.resellerB).customer.list({ search: "zebra" })).items).toHaveLength(1);
    const paged = await everyPage(callerFor(w.users.admin), { search: "same", limit: 2, sort: "name", direction: "desc" });
    expect(paged.seen).toHaveLength(7);
  });

  it("filters by status", async () => {
    const suspended = await callerFor(w.users.resellerA).customer.list({ status: "SUSPENDED" });
    expect(suspended.items.map((c) => c.name)).toEqual(["Sub customer 0"]);
    expect((await callerFor(w.users.resellerB).customer.list({ status: "SUSPENDED" })).items).toEqual([]);
  });

  it("rejects a forged cursor on the cursor field", async () => {
    const f = await expectFailure(callerFor(w.users.admin).customer.list({ cursor: "not-a-cursor" }));
    expect(f.fields).toHaveProperty("cursor");
  });

  it("is forbidden to a customer login", async () => {
    expect((await expectFailure(callerFor(w.users.customerA).customer.list({}))).code).toBe("FORBIDDEN");
  });
});
