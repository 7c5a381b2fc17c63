import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

// site.pin: an admin pins a site to a node or unpins it; the balancer does the moving
// (tests/integration/control/balance.test.ts). Bad input gets a precise error.

let world: Awaited<ReturnType<typeof makeWorld>>;
const asAdmin = () => callerFor(world.users.admin);
const tag = randomBytes(3).toString("hex");
let port = 21000;

async function node(name: string, status: "HEALTHY" | "DEAD" | "DRAINING" | "DEGRADED" = "HEALTHY") {
  return db.node.create({ data: { name: `${name}-${tag}`, address: "127.0.98.1", agentPort: port++, status }, select: { id: true, name: true } });
}

async function liveSite(host: string, on: { id: string }) {
  const account = world.customers.a.account;
  const domain = await db.domain.create({ data: { accountId: account.id, name: `${host}-${tag}.test`, displayName: `${host}-${tag}.test` } });
  const site = await db.site.create({ data: { accountId: account.id, domainId: domain.id, routed: true }, select: { id: true } });
  await db.placement.create({ data: { siteId: site.id, nodeId: on.id, role: "PRIMARY" } });
  return site;
}

beforeAll(async () => {
  world = await makeWorld();
});

describe("site.pin", () => {
  it("pins to a node and unpins, with an audit row for each change and none for a repeat", async () => {
    const [n1, n2] = [await node("pin-1"), await node("pin-2")];
    const site = await liveSite("pinned", n1);
    expect(await asAdmin().site.pin({ id: site.id, nodeId: n2.id })).toEqual({ id: site.id, pinnedNodeId: n2.id, pinnedNodeName: n2.name, liveNodeName: n1.name });
    expect((await db.site.findUniqueOrThrow({ where: { id: site.id } })).pinnedNodeId).toBe(n2.id);
    // The same pin again changes nothing and records nothing.
    await asAdmin().site.pin({ id: site.id, nodeId: n2.id });
    expect(await asAdmin().site.pin({ id: site.id, nodeId: null })).toMatchObject({ pinnedNodeId: null, pinnedNodeName: null });
    expect((await db.site.findUniqueOrThrow({ where: { id: site.id } })).pinnedNodeId).toBeNull();
    const audit = await db.auditEvent.findMany({ where: { targetId: site.id }, orderBy: { createdAt: "asc" }, select: { action: true, actorId: true, before: true, after: true, resellerId: true } });
    expect(audit).toEqual([
      { action: "site.pin", actorId: world.users.admin.id, before: { pinnedTo: null }, after: { pinnedTo: n2.name, live: n1.name }, resellerId: world.resellerA.id },
      { action: "site.unpin", actorId: world.users.admin.id, before: { pinnedTo: n2.name }, after: { pinnedTo: null, live: n1.name }, resellerId: world.resellerA.id },
    ]);
    // No outbox row: a pin is panel state; the balancer's round reads it.
    expect(await db.outboxEvent.count({ where: { aggregateId: site.id } })).toBe(0);
  });

  it("refuses an unknown node, a dead or draining node, an unknown or deleted site, and malformed input", async () => {
    const n1 = await node("pin-ok");
    const site = await liveSite("refused", n1);
    expect(await expectFailure(asAdmin().site.pin({ id: site.id, nodeId: "no-such-node" }))).toEqual({
      code: "NOT_FOUND",
      appCode: "NOT_FOUND",
      fields: { nodeId: "Choose one of the cluster's nodes." },
    });
    const dead = await node("pin-dead", "DEAD");
    expect(await expectFailure(asAdmin().site.pin({ id: site.id, nodeId: dead.id }))).toEqual({
      code: "PRECONDITION_FAILED",
      appCode: "PRECONDITION_FAILED",
      fields: { nodeId: `${dead.name} is dead; pin the site to a node that can serve it.` },
    });
    const draining = await node("pin-draining", "DRAINING");
    expect((await expectFailure(asAdmin().site.pin({ id: site.id, nodeId: draining.id }))).fields.nodeId).toContain("is draining");
    // A degraded node may recover: the pin is taken, the balancer waits for it to be healthy.
    const degraded = await node("pin-degraded", "DEGRADED");
    expect(await asAdmin().site.pin({ id: site.id, nodeId: degraded.id })).toMatchObject({ pinnedNodeId: degraded.id });

    expect(await expectFailure(asAdmin().site.pin({ id: "no-such-site", nodeId: n1.id }))).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
    const gone = await liveSite("gone", n1);
    await db.site.update({ where: { id: gone.id }, data: { deletedAt: new Date() } });
    const deleted = await expectFailure(asAdmin().site.pin({ id: gone.id, nodeId: n1.id }));
    expect(deleted).toMatchObject({ code: "PRECONDITION_FAILED", appCode: "PRECONDITION_FAILED" });
    await expect(asAdmin().site.pin({ id: gone.id, nodeId: n1.id })).rejects.toThrow("The site has been deleted; there is nothing to pin.");

    expect((await expectFailure(asAdmin().site.pin({ id: "", nodeId: n1.id }))).code).toBe("BAD_REQUEST");
    expect((await expectFailure(asAdmin().site.pin({ id: site.id } as never))).code).toBe("BAD_REQUEST");
    expect((await expectFailure(asAdmin().site.pin({ id: site.id, nodeId: "x".repeat(51) }))).code).toBe("BAD_REQUEST");
    // Nothing refused changed the pin.
    expect((await db.site.findUniqueOrThrow({ where: { id: site.id } })).pinnedNodeId).toBe(degraded.id);
  });

  it("is for admins only: a reseller or customer is refused before any row is read", async () => {
    const n1 = await node("pin-authz");
    const site = await liveSite("authz", n1);
    for (const user of [world.users.resellerA, world.users.customerA]) {
      expect((await expectFailure(callerFor(user).site.pin({ id: site.id, nodeId: n1.id }))).code).toBe("FORBIDDEN");
    }
    expect((await db.site.findUniqueOrThrow({ where: { id: site.id } })).pinnedNodeId).toBeNull();
  });
});
