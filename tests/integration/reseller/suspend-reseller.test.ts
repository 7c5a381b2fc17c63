import { beforeAll, describe, expect, it } from "vitest";
import { loadScope } from "../../../server/auth/load-scope";
import { db } from "../../../server/db";
import { callerFor, makeCustomer, makeReseller, makeUser, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});

async function counts() {
  return { audit: await db.auditEvent.count(), outbox: await db.outboxEvent.count() };
}

/** A reseller under `parent` with one reseller login and one customer login. */
async function branch(name: string, parent: { id: string; path: string }) {
  const reseller = await makeReseller(name, parent);
  const { customer } = await makeCustomer(reseller.id);
  return {
    reseller,
    resellerUser: await makeUser("RESELLER", reseller.id),
    customerUser: await makeUser("CUSTOMER", reseller.id, customer.id),
  };
}

describe("reseller.suspend / reseller.unsuspend", () => {
  it("suspends a reseller, blocking it, its descendants and their customers, and unsuspends it", async () => {
    const top = await branch("Top", w.resellerA);
    const below = await branch("Below", top.reseller);
    // Signed-in callers work before the suspension.
    await callerFor(below.resellerUser).reseller.list({});
    expect((await loadScope(db, below.customerUser)).kind).toBe("customer");

    const before = await counts();
    const r = await callerFor(w.users.resellerA).reseller.suspend({ id: top.reseller.id });
    expect(r.status).toBe("SUSPENDED");
    expect(r.generation).toBe(2);
    expect(await counts()).toEqual({ audit: before.audit + 1, outbox: before.outbox + 1 });
    const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: top.reseller.id, action: "reseller.suspend" } });
    expect(audit).toMatchObject({ resellerId: w.resellerA.id, actorId: w.users.resellerA.id, after: { status: "SUSPENDED" } });
    expect((await db.outboxEvent.findFirstOrThrow({ where: { aggregateId: top.reseller.id } })).topic).toBe("reseller.suspended");

    // The suspended reseller, the one below it and the customers of both lose access.
    for (const user of [top.resellerUser, below.resellerUser]) {
      expect((await expectFailure(callerFor(user).reseller.list({}))).code).toBe("FORBIDDEN");
    }
    // Customers have no reseller procedures to call; the scope every procedure loads refuses them.
    for (const user of [top.customerUser, below.customerUser]) {
      await expect(loadScope(db, user)).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    // The descendant's own status is untouched; the detail page says who blocks it.
    expect((await db.reseller.findUniqueOrThrow({ where: { id: below.reseller.id } })).status).toBe("ACTIVE");
    const detail = await callerFor(w.users.resellerA).reseller.get({ id: below.reseller.id });
    expect(detail.blockedBy).toEqual({ id: top.reseller.id, name: "Top" });
    // The parent is unaffected and still sees the suspended child.
    expect((await callerFor(w.users.resellerA).reseller.list({ limit: 100 })).items.map((x) => x.id)).toContain(top.reseller.id);

    // Suspending again changes nothing and records nothing.
    const mid = await counts();
    expect((await callerFor(w.users.admin).reseller.suspend({ id: top.reseller.id })).generation).toBe(2);
    expect(await counts()).toEqual(mid);

    const back = await callerFor(w.users.admin).reseller.unsuspend({ id: top.reseller.id });
    expect(back.status).toBe("ACTIVE");
    expect(await counts()).toEqual({ audit: mid.audit + 1, outbox: mid.outbox + 1 });
    await callerFor(below.resellerUser).reseller.list({});
    await callerFor(top.resellerUser).reseller.list({});
    expect((await loadScope(db, below.customerUser)).kind).toBe("customer");
  });

  it("refuses suspending oneself, the parent, the platform or another tree, and writes nothing", async () => {
    const before = await counts();
    const attempts: Array<[keyof World["users"], string]> = [
      ["resellerA", w.resellerA.id],
      ["subA", w.subA.id],
      ["subA", w.resellerA.id],
      ["resellerB", w.subA.id],
      ["resellerB", w.resellerA.id],
      ["admin", w.platform.id],
      ["resellerA", w.platform.id],
    ];
    for (const [who, id] of attempts) {
      const f = await expectFailure(callerFor(w.users[who]).reseller.suspend({ id }));
      expect(`${who}→${id}: ${f.code}`).toBe(`${who}→${id}: NOT_FOUND`);
    }
    expect((await expectFailure(callerFor(w.users.customerA).reseller.suspend({ id: w.subA.id }))).code).toBe("FORBIDDEN");
    expect((await expectFailure(callerFor(w.users.resellerB).reseller.unsuspend({ id: w.subA.id }))).code).toBe("NOT_FOUND");
    expect(await counts()).toEqual(before);
    const statuses = await db.reseller.findMany({ where: { id: { in: [w.resellerA.id, w.subA.id, w.platform.id] } } });
    expect(statuses.every((s) => s.status === "ACTIVE")).toBe(true);
  });

  it("will not revive a terminated reseller", async () => {
    const gone = await makeReseller("Gone", w.resellerB);
    await db.reseller.update({ where: { id: gone.id }, data: { status: "TERMINATED" } });
    const f = await expectFailure(callerFor(w.users.resellerB).reseller.unsuspend({ id: gone.id }));
    expect(f.code).toBe("PRECONDITION_FAILED");
    expect((await db.reseller.findUniqueOrThrow({ where: { id: gone.id } })).status).toBe("TERMINATED");
  });
});
