import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { agentSecret } from "../../../server/contract/cluster-secrets";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { testNodeTls } from "../../helpers/cluster-tls";
import { handleOutboxEvent } from "../../../worker/control/handle-outbox-event";
import { ReconcileRetry, reconcileNode } from "../../../worker/control/reconcile-node";
import { sweep } from "../../../worker/control/sweep";
import { moveStepKinds } from "../../../server/domain/operation-kinds";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { destroyNode, httpGet, makeNode } from "../agent/node-harness";

// The control plane against one real node: the panel's mutation, the outbox event's placement,
// the reconcile's PUT /v1/spec and /v1/routes to a real agent (nginx, php-fpm, MariaDB), and the
// operation settled from what is observed, including the serve check through the front door.
// Loopback 127.0.23.x is this file's.

const clusterSecret = "cluster-secret-for-reconcile-tests-0123456789";
const address = "127.0.23.1";
const agentPort = 17431;
let node: NodeRoot;
let agent: AgentServer | null = null;
let nodeId: string;
const nodeName = `itest-${randomBytes(3).toString("hex")}`;
let world: Awaited<ReturnType<typeof makeWorld>>;
const asA = () => callerFor(world.users.customerA);
const ctx = { db, clusterSecret };

async function startAgent() {
  agent = await startAgentServer({ host: address, port: agentPort, secret: agentSecret(clusterSecret, nodeName), nodeRoot: node, tls: await testNodeTls(node) });
}

/** What the outbox consumer and the queue would do for the latest events: place, then reconcile. */
async function deliver(aggregateType: string, aggregateId: string) {
  const nodes = new Set<string>();
  await handleOutboxEvent(db, { outboxId: "1", topic: "site.reconcile", aggregateType, aggregateId }, async (ids) => ids.forEach((i) => nodes.add(i)), async () => void nodes.add(nodeId));
  for (const id of nodes) await reconcileNode(ctx, id, false);
}

async function opOf(targetId: string) {
  return db.operation.findFirstOrThrow({ where: { targetId }, orderBy: { createdAt: "desc" }, include: { steps: { orderBy: { index: "asc" } } } });
}

beforeAll(async () => {
  world = await makeWorld();
  node = await makeNode(address, 18231, 13231, { backendPort: 18232, holdPort: 18233 });
  nodeId = (
    await db.node.create({
      data: { name: nodeName, address, agentPort, httpPort: 18231, backendPort: 18232, status: "HEALTHY" },
    })
  ).id;
  await startAgent();
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await destroyNode(node);
}, 60_000);

describe("reconcile against a real node", () => {
  let siteId: string;

  it("places a new site, converges it, routes it and finishes its operation with a serve check", async () => {
    const d = await asA().domain.create({ name: "reconcile-one.test" });
    const site = await asA().site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    siteId = site.id;
    await deliver("Site", site.id);

    const placement = await db.placement.findFirstOrThrow({ where: { siteId } });
    expect(placement).toMatchObject({ nodeId, role: "PRIMARY", epoch: 1 });
    expect(placement.reason).toMatch(/most headroom on itest-/);
    const op = await opOf(siteId);
    expect(op.status).toBe("SUCCEEDED");
    expect(op.steps.every((s) => s.status === "SUCCEEDED")).toBe(true);
    expect(op.steps[0]).toMatchObject({ kind: "placement", target: nodeName });
    expect(await db.site.findUniqueOrThrow({ where: { id: siteId } })).toMatchObject({ observedGeneration: 1, routed: true });
    const res = await httpGet(node, "reconcile-one.test", "/");
    expect(res.status).toBe(200);
    expect(res.body).toContain("This site is ready");
  });

  it("skips a node whose spec and routes are already applied, and a forced run changes nothing", async () => {
    expect(await reconcileNode(ctx, nodeId, false)).toMatchObject({ changes: 0, skipped: true });
    expect(await reconcileNode(ctx, nodeId, true)).toMatchObject({ changes: 0, skipped: false });
  });

  it("leaves a move's and a rollback's steps to their own jobs: a reconcile of the site neither settles nor fails them", async () => {
    const customer = world.customers.a.customer;
    const own = (kind: string, steps: string[]) =>
      db.operation.create({
        data: {
          kind,
          targetType: "Site",
          targetId: siteId,
          resellerId: customer.resellerId,
          customerId: customer.id,
          status: "RUNNING",
          startedAt: new Date(),
          steps: { create: steps.map((k, index) => ({ index, kind: k, target: "test", ...(index === 0 ? { status: "RUNNING" as const } : {}) })) },
        },
      });
    const move = await own("site.move", [...moveStepKinds]);
    const rollback = await own("site.rollback", ["keep current state", "restore files and databases", "serve check"]);
    // The site is converged and routed, and its front door answers 200: what settles a reconcile's own steps.
    await reconcileNode(ctx, nodeId, true);
    await sweep(db, async () => {});
    for (const op of [move, rollback]) {
      const after = await db.operation.findUniqueOrThrow({ where: { id: op.id }, include: { steps: { orderBy: { index: "asc" } } } });
      expect(after).toMatchObject({ status: "RUNNING", lastError: null });
      expect(after.steps.map((st) => st.status)).toEqual(after.steps.map((_, i) => (i === 0 ? "RUNNING" : "PENDING")));
    }
    await db.operation.deleteMany({ where: { id: { in: [move.id, rollback.id] } } });
  });

  it("fails only the invalid object's operation with the agent's precise words; the rest converges", async () => {
    const bad = await asA().domain.create({ name: "reconcile-bad.test" });
    const good = await asA().domain.create({ name: "reconcile-good.test" });
    const badSite = await asA().site.create({ domainId: bad.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    const goodSite = await asA().site.create({ domainId: good.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    // Bypasses the panel's validation, as a bug or a hand edit would.
    await db.site.update({ where: { id: badSite.id }, data: { phpSettings: { memory_limit: "9999G" } } });
    await deliver("Site", badSite.id);
    await deliver("Site", goodSite.id);
    const failed = await opOf(badSite.id);
    expect(failed.status).toBe("FAILED");
    expect(failed.lastError).toMatch(/phpSettings\.memory_limit: Must be a size from 32M to 2048M/);
    expect((await opOf(goodSite.id)).status).toBe("SUCCEEDED");
    expect((await httpGet(node, "reconcile-good.test", "/")).status).toBe(200);
    // Routed (its placement stands) but never converged: the backend has no vhost for it.
    expect((await httpGet(node, "reconcile-bad.test", "/")).status).toBe(404);
    await db.site.update({ where: { id: badSite.id }, data: { deletedAt: new Date(), generation: { increment: 1 } } });
    await deliver("Site", badSite.id);
  });

  it("waits for a node that is away, says so on the operation, and finishes when it returns", async () => {
    await agent!.close();
    agent = null;
    const d = await asA().domain.create({ name: "reconcile-away.test" });
    const site = await asA().site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    await expect(deliver("Site", site.id)).rejects.toBeInstanceOf(ReconcileRetry);
    const waiting = await opOf(site.id);
    expect(waiting.status).toBe("RUNNING");
    expect(waiting.lastError).toMatch(new RegExp(`Node ${nodeName} is not answering .*ECONNREFUSED`));
    expect(waiting.steps.find((s) => s.kind === "site store")).toMatchObject({ status: "RUNNING", attempts: 1 });
    await startAgent();
    // The sweep finds the node behind (its applied hash was never recorded) and the reconcile runs.
    const enqueued: string[] = [];
    await sweep(db, async (ids) => void enqueued.push(...ids), { behindForMs: 0 });
    expect(enqueued).toContain(nodeId);
    await reconcileNode(ctx, nodeId, false);
    expect((await opOf(site.id)).status).toBe("SUCCEEDED");
    expect((await httpGet(node, "reconcile-away.test", "/")).status).toBe(200);
  });

  it("suspends and unsuspends a customer's sites down to the node", async () => {
    await callerFor(world.users.resellerA).customer.suspend({ id: world.customers.a.customer.id });
    await deliver("HostingAccount", world.customers.a.account.id);
    const suspended = await httpGet(node, "reconcile-one.test", "/");
    expect(suspended.status).toBe(503);
    expect(suspended.body).toContain("This site is suspended");
    // Under the reseller's brand, not the platform's.
    expect(suspended.body).toContain("This site is hosted by Reseller A.");
    // A brand edit reaches the page at once, not with the next drift sweep.
    const brand = await callerFor(world.users.resellerA).brand.get({});
    await callerFor(world.users.resellerA).brand.update({ ...brand, nameservers: ["ns1.renamed.test", "ns2.renamed.test"], displayName: "Renamed Hosting" });
    await deliver("Brand", world.resellerA.id);
    expect((await httpGet(node, "reconcile-one.test", "/")).body).toContain("This site is hosted by Renamed Hosting.");
    await callerFor(world.users.resellerA).customer.unsuspend({ id: world.customers.a.customer.id });
    await deliver("HostingAccount", world.customers.a.account.id);
    expect((await httpGet(node, "reconcile-one.test", "/")).status).toBe(200);
  });

  it("tears a deleted site down, removes its placement and its route, and finishes the delete", async () => {
    const res = await asA().site.delete({ id: siteId });
    await deliver("Site", siteId);
    const op = await db.operation.findFirstOrThrow({ where: { targetId: siteId, kind: "site.delete" }, include: { steps: true } });
    expect(op.status).toBe("SUCCEEDED");
    expect(res).toBeTruthy();
    expect(await db.placement.count({ where: { siteId } })).toBe(0);
    const gone = await db.site.findUniqueOrThrow({ where: { id: siteId } });
    expect(gone.observedGeneration).toBe(gone.generation);
    expect((await httpGet(node, "reconcile-one.test", "/")).status).toBe(404);
  });
});
