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
const site = { phpVersion: "8.2", documentRoot: "public" } as const;

/** What failPermanently leaves behind: placement done, the node steps FAILED, the rest PENDING. */
async function failOperation(operationId: string, message = "The node refused this: sites.0: bad") {
  await db.operationStep.updateMany({ where: { operationId, kind: "placement" }, data: { status: "SUCCEEDED", attempts: 1 } });
  await db.operationStep.updateMany({
    where: { operationId, kind: { in: ["account", "site store", "vhost + php-fpm pool", "database", "database user", "app install"] } },
    data: { status: "FAILED", attempts: 2, lastError: message, startedAt: new Date(), finishedAt: new Date() },
  });
  await db.operation.update({ where: { id: operationId }, data: { status: "FAILED", lastError: message, startedAt: new Date(), finishedAt: new Date() } });
}

const outboxFor = (aggregateId: string, topic: string) => db.outboxEvent.findMany({ where: { aggregateId, topic }, orderBy: { id: "asc" } });

describe("operation.retry", () => {
  it("puts a failed site operation and its failed steps back to pending, bumps the site and announces it", async () => {
    const d = await asA().domain.create({ name: "retry-site.test" });
    const s = await asA().site.create({ domainId: d.id, app: "WORDPRESS", ...site });
    await failOperation(s.operationId);
    const before = await db.site.findUniqueOrThrow({ where: { id: s.id } });
    const outboxBefore = await outboxFor(s.id, "site.reconcile");

    expect(await asA().operation.retry({ id: s.operationId })).toEqual({ id: s.operationId });

    const op = await db.operation.findUniqueOrThrow({ where: { id: s.operationId }, include: { steps: { orderBy: { index: "asc" } } } });
    expect(op).toMatchObject({ status: "PENDING", lastError: null, finishedAt: null });
    expect(op.steps.map((x) => [x.kind, x.status])).toEqual([
      ["placement", "SUCCEEDED"],
      ["account", "PENDING"],
      ["site store", "PENDING"],
      ["vhost + php-fpm pool", "PENDING"],
      ["database", "PENDING"],
      ["app install", "PENDING"],
      ["route", "PENDING"],
      ["serve check", "PENDING"],
    ]);
    expect(op.steps.every((x) => x.lastError === null)).toBe(true);
    // Attempts are history: kept.
    expect(op.steps.find((x) => x.kind === "app install")!.attempts).toBe(2);
    expect((await db.site.findUniqueOrThrow({ where: { id: s.id } })).generation).toBe(before.generation + 1);

    const outbox = await outboxFor(s.id, "site.reconcile");
    expect(outbox).toHaveLength(outboxBefore.length + 1);
    expect(outbox.at(-1)).toMatchObject({ aggregateType: "Site", aggregateId: s.id, payload: { siteId: s.id, operationId: s.operationId }, publishedAt: null });
    const audit = await db.auditEvent.findMany({ where: { action: "operation.retry", targetId: s.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      targetType: "Site",
      actorId: world.users.customerA.id,
      resellerId: world.resellerA.id,
      customerId: world.customers.a.customer.id,
      after: { operationId: s.operationId, kind: "site.create", stepsReset: 5 },
    });

    // The UI reads the reset back through operation.get.
    expect((await asA().operation.get({ id: s.operationId })).status).toBe("PENDING");
  });

  it("retries a failed database operation with the database's own topic", async () => {
    const created = await asA().database.create({ name: "retrydb" });
    await db.operationStep.updateMany({ where: { operationId: created.operationId }, data: { status: "FAILED", lastError: "MariaDB away" } });
    await db.operation.update({ where: { id: created.operationId }, data: { status: "FAILED", lastError: "MariaDB away" } });
    const before = await db.database.findUniqueOrThrow({ where: { id: created.id } });
    const outboxBefore = await outboxFor(created.id, "database.reconcile");

    await asA().operation.retry({ id: created.operationId });

    expect((await db.database.findUniqueOrThrow({ where: { id: created.id } })).generation).toBe(before.generation + 1);
    const outbox = await outboxFor(created.id, "database.reconcile");
    expect(outbox).toHaveLength(outboxBefore.length + 1);
    expect(outbox.at(-1)).toMatchObject({ aggregateType: "Database", payload: { databaseId: created.id, operationId: created.operationId } });
    const steps = await db.operationStep.findMany({ where: { operationId: created.operationId } });
    expect(steps.every((x) => x.status === "PENDING" && x.lastError === null)).toBe(true);
  });

  it("refuses an operation that has not failed and writes nothing", async () => {
    const d = await asA().domain.create({ name: "retry-pending.test" });
    const s = await asA().site.create({ domainId: d.id, app: "NONE", ...site });
    const counts = async () => ({
      outbox: await db.outboxEvent.count(),
      audit: await db.auditEvent.count(),
      generation: (await db.site.findUniqueOrThrow({ where: { id: s.id } })).generation,
    });
    const before = await counts();
    for (const status of ["PENDING", "RUNNING", "SUCCEEDED", "CANCELLED"] as const) {
      await db.operation.update({ where: { id: s.operationId }, data: { status } });
      const f = await rejection(asA().operation.retry({ id: s.operationId }));
      expect(f.code, status).toBe("PRECONDITION_FAILED");
      expect(f.message).toMatch(/Only a failed operation can be retried/);
    }
    expect(await counts()).toEqual(before);
  });

  it("refuses a domain operation (nothing reconciles it yet)", async () => {
    const d = await asA().domain.create({ name: "retry-domain.test" });
    await db.operation.update({ where: { id: d.operationId }, data: { status: "FAILED" } });
    expect((await rejection(asA().operation.retry({ id: d.operationId }))).code).toBe("PRECONDITION_FAILED");
  });

  it("lets one of two concurrent retries through", async () => {
    const d = await asA().domain.create({ name: "retry-race.test" });
    const s = await asA().site.create({ domainId: d.id, app: "NONE", ...site });
    await failOperation(s.operationId);
    const generation = (await db.site.findUniqueOrThrow({ where: { id: s.id } })).generation;
    const results = await Promise.allSettled([asA().operation.retry({ id: s.operationId }), asA().operation.retry({ id: s.operationId })]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "PRECONDITION_FAILED" } });
    expect((await db.site.findUniqueOrThrow({ where: { id: s.id } })).generation).toBe(generation + 1);
    expect(await db.auditEvent.count({ where: { action: "operation.retry", targetId: s.id } })).toBe(1);
  });

  it("hides another tenant's operation and leaves it failed", async () => {
    const d = await asA().domain.create({ name: "retry-foreign.test" });
    const s = await asA().site.create({ domainId: d.id, app: "NONE", ...site });
    await failOperation(s.operationId);
    for (const caller of [asB(), callerFor(world.users.resellerB), callerFor(world.users.subA), callerFor(world.users.customerSubA)]) {
      expect((await rejection(caller.operation.retry({ id: s.operationId }))).code).toBe("NOT_FOUND");
    }
    expect((await db.operation.findUniqueOrThrow({ where: { id: s.operationId } })).status).toBe("FAILED");
    // The reseller above the customer may retry it.
    await callerFor(world.users.resellerA).operation.retry({ id: s.operationId });
    expect((await db.operation.findUniqueOrThrow({ where: { id: s.operationId } })).status).toBe("PENDING");
  });

  it("checks the target's tenancy too, not only the operation's", async () => {
    // An operation row claiming customer A's tenancy but pointing at customer B's site must not
    // let A bump B's site (tenancy in the target's where clause as well).
    const d = await asB().domain.create({ name: "retry-mismatch.test" });
    const s = await asB().site.create({ domainId: d.id, app: "NONE", ...site });
    const forged = await db.operation.create({
      data: {
        kind: "site.create",
        targetType: "Site",
        targetId: s.id,
        status: "FAILED",
        resellerId: world.resellerA.id,
        customerId: world.customers.a.customer.id,
      },
    });
    const generation = (await db.site.findUniqueOrThrow({ where: { id: s.id } })).generation;
    expect((await rejection(asA().operation.retry({ id: forged.id }))).code).toBe("NOT_FOUND");
    expect((await db.site.findUniqueOrThrow({ where: { id: s.id } })).generation).toBe(generation);
    expect((await db.operation.findUniqueOrThrow({ where: { id: forged.id } })).status).toBe("FAILED");
  });
  it("refuses to retry what a reconcile does not re-run (a rollback, a file restore, a move), says what to do instead, and changes nothing", async () => {
    const d = await asA().domain.create({ name: "retry-rollback.test" });
    const s = await asA().site.create({ domainId: d.id, app: "NONE", ...site });
    for (const kind of ["site.rollback", "site.restoreFile", "site.move"]) {
      const op = await db.operation.create({
        data: { kind, targetType: "Site", targetId: s.id, status: "FAILED", lastError: "the node refused", resellerId: world.resellerA.id, customerId: world.customers.a.customer.id },
      });
      const generation = (await db.site.findUniqueOrThrow({ where: { id: s.id } })).generation;
      const outboxBefore = (await outboxFor(s.id, "site.reconcile")).length;
      const refused = await rejection(asA().operation.retry({ id: op.id }));
      expect(refused.code).toBe("PRECONDITION_FAILED");
      expect(refused.message).toMatch(/^This operation is not retried: .+ again/);
      expect(await db.operation.findUniqueOrThrow({ where: { id: op.id } })).toMatchObject({ status: "FAILED", lastError: "the node refused" });
      expect((await db.site.findUniqueOrThrow({ where: { id: s.id } })).generation).toBe(generation);
      expect(await outboxFor(s.id, "site.reconcile")).toHaveLength(outboxBefore);
      expect(await db.auditEvent.count({ where: { action: "operation.retry", after: { path: ["operationId"], equals: op.id } } })).toBe(0);
    }
  });
});
