import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { rejection } from "../domain/helpers";

let world: Awaited<ReturnType<typeof makeWorld>>;
beforeAll(async () => {
  world = await makeWorld();
});

const asA = () => callerFor(world.users.customerA);
const asB = () => callerFor(world.users.customerB);

describe("operation.get", () => {
  it("returns the steps ordered by index", async () => {
    const d = await asA().domain.create({ name: "ops-order.test" });
    const s = await asA().site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    // Steps stored out of order still come back in index order.
    await db.operationStep.updateMany({ where: { operationId: s.operationId, index: 2 }, data: { status: "RUNNING", attempts: 1 } });
    const op = await asA().operation.get({ id: s.operationId });
    expect(op.steps.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(op.steps.map((x) => x.kind)).toEqual([
      "placement",
      "account",
      "site store",
      "vhost + php-fpm pool",
      "database",
      "app install",
      "route",
      "serve check",
    ]);
    expect(op.steps[2]).toMatchObject({ status: "RUNNING", attempts: 1 });
    expect(op).toMatchObject({ kind: "site.create", targetType: "Site", targetId: s.id, status: "PENDING" });
    // Tenancy columns and the actor are not sent to the browser.
    expect(op).not.toHaveProperty("customerId");
    expect(op).not.toHaveProperty("actorId");
  });

  it("hides another customer's operation, and another reseller's", async () => {
    const d = await asA().domain.create({ name: "ops-private.test" });
    for (const caller of [asB(), callerFor(world.users.resellerB), callerFor(world.users.subA), callerFor(world.users.customerSubA)]) {
      expect((await rejection(caller.operation.get({ id: d.operationId }))).code).toBe("NOT_FOUND");
    }
    expect((await callerFor(world.users.resellerA).operation.get({ id: d.operationId })).id).toBe(d.operationId);
    expect((await callerFor(world.users.admin).operation.get({ id: d.operationId })).id).toBe(d.operationId);
  });
});

describe("operation.list", () => {
  it("lists a target's operations newest first", async () => {
    const d = await asA().domain.create({ name: "ops-target.test" });
    const s1 = await asA().site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    const del = await asA().site.delete({ id: s1.id });
    const list = await asA().operation.list({ target: { type: "Site", id: s1.id } });
    expect(list.items.map((o) => o.id)).toEqual([del.operationId, s1.operationId]);
    expect(list.items.map((o) => o.kind)).toEqual(["site.delete", "site.create"]);
  });

  it("lists the account's operations with a keyset cursor, including deleted targets", async () => {
    const before = await asA().operation.list({ limit: 100 });
    const d = await asA().domain.create({ name: "ops-account.test" });
    const gone = await asA().database.create({ name: "opsgone" });
    const del = await asA().database.delete({ id: gone.id });
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<ReturnType<typeof asA>["operation"]["list"]>> = await asA().operation.list({ limit: 2, cursor });
      all.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all.slice(0, 3)).toEqual([del.operationId, gone.operationId, d.operationId]);
    expect(all).toHaveLength(before.items.length + 3);
    expect(new Set(all).size).toBe(all.length);
  });

  it("names each entry's site, domain or database in a list of the whole account (a rollback's steps name none)", async () => {
    const d = await asA().domain.create({ name: "ops-subject.test" });
    const site = await asA().site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    const database = await asA().database.create({ name: "opssubject" });
    const rollback = await db.operation.create({
      data: { kind: "site.rollback", targetType: "Site", targetId: site.id, resellerId: world.resellerA.id, customerId: world.customers.a.customer.id, steps: { create: [{ index: 0, kind: "keep current state", target: "snapshot" }] } },
    });
    const list = await asA().operation.list({ limit: 10 });
    const subject = (id: string) => list.items.find((o) => o.id === id)?.subject;
    expect(subject(rollback.id)).toBe("ops-subject.test");
    expect(subject(site.operationId)).toBe("ops-subject.test");
    expect(subject(d.operationId)).toBe("ops-subject.test");
    expect(subject(database.operationId)).toBe((await db.database.findUniqueOrThrow({ where: { id: database.id } })).name);
  });

  it("keeps customer B out of customer A's targets and account", async () => {
    const d = await asA().domain.create({ name: "ops-b.test" });
    const viaTarget = await asB().operation.list({ target: { type: "Domain", id: d.id } });
    expect(viaTarget.items).toEqual([]);
    expect((await rejection(asB().operation.list({ accountId: world.customers.a.account.id }))).code).toBe("NOT_FOUND");
    const own = await asB().operation.list({});
    expect(own.items.every((o) => o.targetId !== d.id)).toBe(true);
    const viaReseller = await callerFor(world.users.resellerB).operation.list({ target: { type: "Domain", id: d.id } });
    expect(viaReseller.items).toEqual([]);
  });
});
