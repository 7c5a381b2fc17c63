import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { rejection } from "../domain/helpers";

let world: Awaited<ReturnType<typeof makeWorld>>;
beforeAll(async () => {
  world = await makeWorld();
});

const asA = () => callerFor(world.users.customerA);

describe("dashboard.get", () => {
  it("reports plan limits against usage and the latest operations", async () => {
    const d = await asA().domain.create({ name: "dash.test" });
    const s = await asA().site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    await asA().domain.create({ name: "dash-two.test" });
    const dash = await asA().dashboard.get({});
    const plan = world.customers.a.plan;
    expect(dash.account).toMatchObject({ id: world.customers.a.account.id, planName: plan.name, status: "ACTIVE" });
    expect(dash.usage).toEqual({
      sites: { used: 1, limit: plan.maxSites },
      databases: { used: 1, limit: plan.maxDatabases },
      domains: { used: 2, limit: null },
      diskMb: { used: 0, limit: plan.diskMb },
    });
    // Nothing measured yet: the new site says so rather than counting as empty.
    expect(dash.disk).toMatchObject({ totalBytes: 0, limitBytes: plan.diskMb * 1_000_000, overLimit: false, measuredAt: null, unmeasuredSites: 1 });
    expect(dash.recentOperations.map((o) => o.kind)).toEqual(["domain.create", "site.create", "domain.create"]);
    expect(dash.recentOperations[1]!.targetId).toBe(s.id);
    expect(dash.accounts).toHaveLength(1);
  });

  it("counts the files, databases and snapshots of the account's own live sites against the plan's disk", async () => {
    const plan = world.customers.a.plan;
    const MB = 1_000_000;
    // What the usage schedule (worker/control/usage.ts) records from each site's live node.
    const measured = async (siteId: string, files: number, databases: number, snapshots: number, at = new Date()) =>
      db.site.update({ where: { id: siteId }, data: { filesBytes: BigInt(files), databaseBytes: BigInt(databases), snapshotBytes: BigInt(snapshots), usageAt: at } });
    const sitesOfA = await db.site.findMany({ where: { accountId: world.customers.a.account.id, deletedAt: null }, select: { id: true } });
    const d = await asA().domain.create({ name: "dash-disk.test" });
    const second = await asA().site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    const early = new Date("2026-12-02T15:00:00Z");
    await measured(sitesOfA[0]!.id, 1_200 * MB, 400 * MB, 500 * MB, early);
    await measured(second.id, 300 * MB, 0, 100 * MB);
    // Another customer's site, and a deleted site of A's, never count.
    const dB = await callerFor(world.users.customerB).domain.create({ name: "dash-other.test" });
    const siteB = await callerFor(world.users.customerB).site.create({ domainId: dB.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    await measured(siteB.id, 9_000 * MB, 9_000 * MB, 9_000 * MB);
    const gone = await db.site.create({
      data: { accountId: world.customers.a.account.id, domainId: d.id, deletedAt: new Date(), filesBytes: BigInt(50_000 * MB), usageAt: new Date() },
    });

    const dash = await asA().dashboard.get({});
    expect(dash.disk).toEqual({
      filesBytes: 1_500 * MB,
      databaseBytes: 400 * MB,
      snapshotBytes: 600 * MB,
      totalBytes: 2_500 * MB,
      limitBytes: plan.diskMb * MB,
      overLimit: false,
      measuredAt: early,
      unmeasuredSites: 0,
    });
    expect(dash.usage.diskMb).toEqual({ used: 2_500, limit: plan.diskMb });

    // Snapshots alone can take the account over its plan's disk, and the dashboard says so.
    await measured(second.id, 300 * MB, 0, plan.diskMb * MB);
    const over = await asA().dashboard.get({});
    expect(over.disk.snapshotBytes).toBe(500 * MB + plan.diskMb * MB);
    expect(over.disk.overLimit).toBe(true);
    expect(over.usage.diskMb.used).toBeGreaterThan(plan.diskMb);

    // The sites list shows each site's own figures, snapshots included.
    const listed = await asA().site.list({});
    expect(listed.items.find((s) => s.id === second.id)?.usage).toMatchObject({ filesBytes: 300 * MB, databaseBytes: 0, snapshotBytes: plan.diskMb * MB, totalBytes: 300 * MB + plan.diskMb * MB });
    expect((await callerFor(world.users.customerB).dashboard.get({})).disk.totalBytes).toBe(27_000 * MB);

    // Back to what the other tests expect.
    await db.site.updateMany({ where: { id: { in: [sitesOfA[0]!.id, second.id, siteB.id] } }, data: { filesBytes: null, databaseBytes: null, snapshotBytes: null, usageAt: null } });
    await db.site.update({ where: { id: second.id }, data: { deletedAt: new Date() } });
    await db.site.delete({ where: { id: gone.id } });
  });

  it("offers every account of the customer and switches between them", async () => {
    const second = await db.hostingAccount.create({
      data: { customerId: world.customers.a.customer.id, planId: world.customers.a.plan.id, username: `second${Date.now() % 100000}` },
    });
    const dash = await asA().dashboard.get({ accountId: second.id });
    expect(dash.account.id).toBe(second.id);
    expect(dash.usage.sites.used).toBe(0);
    expect(dash.recentOperations).toEqual([]);
    expect(dash.accounts.map((a) => a.id)).toEqual([world.customers.a.account.id, second.id]);
    // Without an account id: the first active account.
    expect((await asA().dashboard.get({})).account.id).toBe(world.customers.a.account.id);
    // A suspended first account gives way to the next active one.
    await db.hostingAccount.update({ where: { id: world.customers.a.account.id }, data: { status: "SUSPENDED" } });
    expect((await asA().dashboard.get({})).account.id).toBe(second.id);
    await db.hostingAccount.update({ where: { id: world.customers.a.account.id }, data: { status: "ACTIVE" } });
  });

  it("is not another customer's to see", async () => {
    const accountId = world.customers.a.account.id;
    for (const user of [world.users.customerB, world.users.resellerB, world.users.subA]) {
      expect((await rejection(callerFor(user).dashboard.get({ accountId }))).code).toBe("NOT_FOUND");
    }
    expect((await callerFor(world.users.resellerA).dashboard.get({ accountId })).account.id).toBe(accountId);
    expect((await rejection(callerFor(null).dashboard.get({}))).code).toBe("UNAUTHORIZED");
  });
});
