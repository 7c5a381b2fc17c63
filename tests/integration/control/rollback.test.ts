import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import mariadb from "mariadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { agentSecret, databasePassword } from "../../../server/contract/cluster-secrets";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { testNodeTls } from "../../helpers/cluster-tls";
import { handleOutboxEvent } from "../../../worker/control/handle-outbox-event";
import { reconcileNode } from "../../../worker/control/reconcile-node";
import { runRollback } from "../../../worker/control/run-rollback";
import { takeDueSnapshots } from "../../../worker/control/snapshots";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { destroyNode, httpGet, makeNode } from "../agent/node-harness";

// Snapshots on the cadence and a customer's rollback, against one real node (the directory
// storage driver): files and database rows come back exactly, the state before is kept, and
// rolling back to that undoes the rollback. Loopback 127.0.23.2 is this file's.

const clusterSecret = "cluster-secret-for-rollback-tests-0123456789";
const address = "127.0.23.2";
const nodeName = `rb-${randomBytes(3).toString("hex")}`;
let node: NodeRoot;
let agent: AgentServer;
let nodeId: string;
let world: Awaited<ReturnType<typeof makeWorld>>;
const asA = () => callerFor(world.users.customerA);
const ctx = { db, clusterSecret };

async function deliverSite(siteId: string) {
  const nodes = new Set<string>();
  await handleOutboxEvent(db, { outboxId: "1", topic: "site.reconcile", aggregateType: "Site", aggregateId: siteId }, async (ids) => ids.forEach((i) => nodes.add(i)), async () => void nodes.add(nodeId));
  for (const id of nodes) await reconcileNode(ctx, id, false);
}

/** What the outbox consumer does with the rollback's event. */
async function deliverRollback(operationId: string) {
  const events = await db.outboxEvent.findMany({ where: { topic: "site.rollback" }, orderBy: { id: "desc" } });
  const event = events.find((e) => (e.payload as { operationId?: string }).operationId === operationId)!;
  await runRollback(ctx, event.id.toString());
  return db.operation.findUniqueOrThrow({ where: { id: operationId }, include: { steps: { orderBy: { index: "asc" } } } });
}

beforeAll(async () => {
  world = await makeWorld();
  node = await makeNode(address, 18241, 13241, { backendPort: 18242, holdPort: 18243 });
  nodeId = (await db.node.create({ data: { name: nodeName, address, agentPort: 17441, httpPort: 18241, backendPort: 18242, status: "HEALTHY" } })).id;
  agent = await startAgentServer({ host: address, port: 17441, secret: agentSecret(clusterSecret, nodeName), nodeRoot: node, tls: await testNodeTls(node) });
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await destroyNode(node);
}, 60_000);

describe("snapshots and rollback", () => {
  it("rolls a WordPress site's files and rows back to a snapshot, keeps the state before, and can undo it", async () => {
    const d = await asA().domain.create({ name: "rollback-blog.test" });
    const site = await asA().site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    await deliverSite(site.id);
    expect((await db.operation.findUniqueOrThrow({ where: { id: site.operationId } })).status).toBe("SUCCEEDED");

    const username = world.customers.a.account.username;
    const page = path.join(node.siteDir(username, site.id), "public", "note.html");
    const database = await db.database.findFirstOrThrow({ where: { siteId: site.id }, include: { users: true } });
    const conn = await mariadb.createConnection({ host: address, port: 13241, user: database.users[0]!.username, password: databasePassword(clusterSecret, database.users[0]!.id), database: database.name });
    const rows = async () => (await conn.query<{ option_value: string }[]>("SELECT option_value FROM wp_options WHERE option_name = 'blogdescription'"))[0]!.option_value;
    try {
      await writeFile(page, "version one\n");
      await conn.query("UPDATE wp_options SET option_value = 'first tagline' WHERE option_name = 'blogdescription'");

      // The cadence: due at once for a site that has none yet, then not again within 60 s. The
      // tick waits for the snapshot here (it gives a site 3 s by default, then carries on without
      // it, which a WordPress snapshot on a loaded machine can take).
      expect(await takeDueSnapshots(db, clusterSecret, { nodeTimeoutMs: 60_000 })).toBe(1);
      expect(await takeDueSnapshots(db, clusterSecret, { nodeTimeoutMs: 60_000 })).toBe(0);
      const [first] = await asA().site.listSnapshots({ id: site.id });
      expect(first).toMatchObject({ kind: "SCHEDULED" });

      await writeFile(page, "version two\n");
      await conn.query("UPDATE wp_options SET option_value = 'second tagline' WHERE option_name = 'blogdescription'");

      const rollback = await asA().site.rollback({ id: site.id, snapshotId: first!.id });
      await expect(asA().site.rollback({ id: site.id, snapshotId: first!.id })).rejects.toThrow(/already running/);
      const done = await deliverRollback(rollback.operationId);
      expect(done.status).toBe("SUCCEEDED");
      expect(done.steps.map((s) => s.status)).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
      expect(await readFile(page, "utf8")).toBe("version one\n");
      expect(await rows()).toBe("first tagline");
      expect((await httpGet(node, "rollback-blog.test", "/")).status).toBe(200);

      // The state before the rollback is a point in time of its own: rolling back to it undoes it.
      const kept = (await asA().site.listSnapshots({ id: site.id })).find((s) => s.kind === "PRE_ROLLBACK")!;
      expect(kept).toBeTruthy();
      const undo = await deliverRollback((await asA().site.rollback({ id: site.id, snapshotId: kept.id })).operationId);
      expect(undo.status).toBe("SUCCEEDED");
      expect(await readFile(page, "utf8")).toBe("version two\n");
      expect(await rows()).toBe("second tagline");
    } finally {
      await conn.end();
    }
    // A WordPress install, three snapshots and two rollbacks on a real node: well past 30 s when
    // the machine is busy.
  }, 120_000);

  it("refuses another tenant's site and a snapshot of another site", async () => {
    const mine = await db.snapshot.findFirstOrThrow({});
    await expect(callerFor(world.users.customerB).site.rollback({ id: mine.siteId, snapshotId: mine.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(callerFor(world.users.customerB).site.listSnapshots({ id: mine.siteId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const d = await asA().domain.create({ name: "rollback-other.test" });
    const other = await asA().site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    await expect(asA().site.rollback({ id: other.id, snapshotId: mine.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
