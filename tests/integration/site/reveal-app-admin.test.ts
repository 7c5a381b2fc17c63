import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { appAdminPassword } from "../../../server/contract/cluster-secrets";
import { appAdminKeyMissingMessage, revealAppAdmin } from "../../../server/services/site/reveal-app-admin";
import type { Actor } from "../../../server/services/actor";
import { loadScope } from "../../../server/auth/load-scope";
import type { SessionUser } from "../../../server/auth/auth-state";
import { callerFor, makeCustomer, makeUser, makeWorld } from "../../helpers/fixtures";
import { rejection } from "../domain/helpers";

let world: Awaited<ReturnType<typeof makeWorld>>;
/** A customer of reseller A with room for every site this file creates. */
let owner: { user: SessionUser; customerId: string };
beforeAll(async () => {
  world = await makeWorld();
  const c = await makeCustomer(world.resellerA.id);
  const plan = await db.plan.create({
    data: { resellerId: world.resellerA.id, name: "Reveal", maxSites: 50, maxDatabases: 50, diskMb: 1000, maxMailboxes: 1, trafficGbMonth: 1 },
  });
  await db.hostingAccount.update({ where: { id: c.account.id }, data: { planId: plan.id } });
  owner = { user: await makeUser("CUSTOMER", world.resellerA.id, c.customer.id), customerId: c.customer.id };
});

const asA = () => callerFor(owner.user);
const asB = () => callerFor(world.users.customerB);
const site = { phpVersion: "8.2", documentRoot: "public" } as const;
// The control worker derives the password it installs from the cluster secret; the panel holds
// only the app-admin key, and both must come to the same password.
const secret = process.env.SHOAL_CLUSTER_SECRET!;
const panelKey = process.env.SHOAL_APP_ADMIN_KEY!;

/** What the control worker does when a node has installed the app and every edge serves it. */
async function settleCreate(siteId: string) {
  const op = await db.operation.findFirstOrThrow({ where: { targetId: siteId, kind: "site.create" } });
  await db.operationStep.updateMany({ where: { operationId: op.id }, data: { status: "SUCCEEDED" } });
  await db.operation.update({ where: { id: op.id }, data: { status: "SUCCEEDED", finishedAt: new Date() } });
  await db.site.update({ where: { id: siteId }, data: { observedGeneration: 1 } });
}

async function installedSite(name: string, app: "WORDPRESS" | "DOKUWIKI" | "NONE" = "WORDPRESS") {
  const d = await asA().domain.create({ name });
  const s = await asA().site.create({ domainId: d.id, app, ...site });
  await settleCreate(s.id);
  return s;
}

describe("site.revealAppAdmin", () => {
  it("shows the derived login exactly once, and the site list says so", async () => {
    const s = await installedSite("reveal-once.test");
    const before = await asA().site.get({ id: s.id });
    expect(before).toMatchObject({ url: "http://reveal-once.test/", appAdminShownAt: null, appAdminRevealable: true });

    const login = await asA().site.revealAppAdmin({ id: s.id });
    expect(login).toEqual({
      username: "admin",
      password: appAdminPassword(secret, s.id),
      loginUrl: "http://reveal-once.test/wp-login.php",
    });
    expect(login.password).toHaveLength(24);

    const after = await asA().site.get({ id: s.id });
    expect(after.appAdminShownAt).toBeInstanceOf(Date);
    expect(after.appAdminRevealable).toBe(false);
    const listed = (await asA().site.list({ limit: 100 })).items.find((x) => x.id === s.id)!;
    expect(listed).toMatchObject({ appAdminRevealable: false, url: "http://reveal-once.test/" });

    const again = await rejection(asA().site.revealAppAdmin({ id: s.id }));
    expect(again.code).toBe("PRECONDITION_FAILED");
    expect(again.message).toMatch(/^The admin password was already shown on .+\. Change it in WordPress's own profile page\.$/);
  });

  it("audits the reveal without the password", async () => {
    const s = await installedSite("reveal-audit.test");
    const { password } = await asA().site.revealAppAdmin({ id: s.id });
    const audit = await db.auditEvent.findMany({ where: { action: "site.revealAppAdmin", targetId: s.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      targetType: "Site",
      actorId: owner.user.id,
      resellerId: world.resellerA.id,
      customerId: owner.customerId,
    });
    expect(JSON.stringify(audit[0])).not.toContain(password);
    // Nothing for a node to converge: no outbox row.
    expect(await db.outboxEvent.count({ where: { aggregateId: s.id, topic: { not: "site.reconcile" } } })).toBe(0);
  });

  it("lets exactly one of several concurrent calls through", async () => {
    const s = await installedSite("reveal-race.test");
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => asA().site.revealAppAdmin({ id: s.id })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(failed).toHaveLength(3);
    for (const f of failed) expect(f.reason).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringMatching(/already shown/) });
    expect(await db.auditEvent.count({ where: { action: "site.revealAppAdmin", targetId: s.id } })).toBe(1);
  });

  it("is not available before the install succeeded, nor after it failed", async () => {
    const d = await asA().domain.create({ name: "reveal-early.test" });
    const s = await asA().site.create({ domainId: d.id, app: "WORDPRESS", ...site });
    expect((await asA().site.get({ id: s.id })).appAdminRevealable).toBe(false);
    const early = await rejection(asA().site.revealAppAdmin({ id: s.id }));
    expect(early.code).toBe("PRECONDITION_FAILED");
    expect(early.message).toMatch(/not installed yet/);
    await db.operation.update({ where: { id: s.operationId }, data: { status: "FAILED", lastError: "boom" } });
    expect((await rejection(asA().site.revealAppAdmin({ id: s.id }))).code).toBe("PRECONDITION_FAILED");
    expect((await db.site.findUniqueOrThrow({ where: { id: s.id } })).appAdminShownAt).toBeNull();
  });

  it("gives DokuWiki its own login path, and a plain site none", async () => {
    const wiki = await installedSite("reveal-wiki.test", "DOKUWIKI");
    expect((await asA().site.revealAppAdmin({ id: wiki.id })).loginUrl).toBe("http://reveal-wiki.test/doku.php?do=login");
    const plain = await installedSite("reveal-plain.test", "NONE");
    expect((await asA().site.get({ id: plain.id })).appAdminRevealable).toBe(false);
    const f = await rejection(asA().site.revealAppAdmin({ id: plain.id }));
    expect(f.code).toBe("PRECONDITION_FAILED");
    expect(f.message).toMatch(/no installed app/);
  });

  it("reads another tenant's site as not found and uses nothing up", async () => {
    const s = await installedSite("reveal-foreign.test");
    expect((await rejection(asB().site.revealAppAdmin({ id: s.id }))).code).toBe("NOT_FOUND");
    expect((await rejection(callerFor(world.users.customerSubA).site.revealAppAdmin({ id: s.id }))).code).toBe("NOT_FOUND");
    // Support staff do not spend the customer's only reveal.
    expect((await rejection(callerFor(world.users.resellerA).site.revealAppAdmin({ id: s.id }))).code).toBe("FORBIDDEN");
    expect((await db.site.findUniqueOrThrow({ where: { id: s.id } })).appAdminShownAt).toBeNull();
    expect((await asA().site.revealAppAdmin({ id: s.id })).username).toBe("admin");
  });

  it("refuses clearly without the app-admin key, and keeps the reveal for later", async () => {
    const s = await installedSite("reveal-nosecret.test");
    const actor: Actor = {
      userId: owner.user.id,
      email: owner.user.email,
      impersonatorId: null,
      ip: null,
      scope: await loadScope(db, owner.user),
    };
    await expect(revealAppAdmin(actor, { id: s.id }, undefined)).rejects.toMatchObject({ code: "PRECONDITION_FAILED", message: appAdminKeyMissingMessage });
    expect((await db.site.findUniqueOrThrow({ where: { id: s.id } })).appAdminShownAt).toBeNull();
    expect((await revealAppAdmin(actor, { id: s.id }, panelKey)).password).toBe(appAdminPassword(secret, s.id));
  });
});
