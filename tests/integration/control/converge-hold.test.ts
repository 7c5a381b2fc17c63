import { randomBytes } from "node:crypto";
import http from "node:http";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { agentSecret } from "../../../server/contract/cluster-secrets";
import { nginxPid } from "../../../worker/agent/drivers/nginx";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { testNodeTls } from "../../helpers/cluster-tls";
import { waitFor } from "../../../worker/agent/wait-for";
import type { MetricsServer } from "../../../server/observability/metrics-http";
import { buildNodeSpec } from "../../../worker/control/build-node-spec";
import { startControlMetrics } from "../../../worker/control/control-metrics";
import { customerReason } from "../../../worker/control/converge-holds";
import { handleOutboxEvent } from "../../../worker/control/handle-outbox-event";
import { settleOperations } from "../../../worker/control/operation-progress";
import { ReconcileRetry, reconcileNode } from "../../../worker/control/reconcile-node";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { destroyNode, httpGet, makeNode, startRewriter } from "../agent/node-harness";

// The control plane and a real node against a site that cannot converge (something on the node
// keeps rewriting its vhost): the reconcile holds it (its operation fails, in words a customer may
// read), the node's next specs carry it as held and nginx stops reloading for it while other sites
// still converge, and a retry lets the node try again. Loopback 127.0.43.2 and ports 17434-17438
// are this file's.

const clusterSecret = "cluster-secret-for-converge-hold-tests-012345";
const address = "127.0.43.2";
const agentPort = 17438;
let node: NodeRoot;
let agent: AgentServer;
let nodeId: string;
const nodeName = `itest-hold-${randomBytes(3).toString("hex")}`;
let world: Awaited<ReturnType<typeof makeWorld>>;
let metrics: MetricsServer | null = null;
const metricsToken = "converge-hold-metrics-token-0123";
const asA = () => callerFor(world.users.customerA);
const ctx = { db, clusterSecret };

/** What the outbox consumer and the queue would do for the latest events: place, then reconcile. */
async function deliver(aggregateId: string) {
  const nodes = new Set<string>();
  await handleOutboxEvent(db, { outboxId: "1", topic: "site.reconcile", aggregateType: "Site", aggregateId }, async (ids) => ids.forEach((i) => nodes.add(i)), async () => void nodes.add(nodeId));
  for (const id of nodes) await reconcileNode(ctx, id, false);
}

/** The control worker's shoal_converge_holds for this node's sites, as a scrape shows it. */
function heldSitesMetric(): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port: metrics!.port, path: "/metrics", agent: false, headers: { authorization: `Bearer ${metricsToken}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(new RegExp(`^shoal_converge_holds\\{node="${nodeName}",kind="site"\\} (\\S+)$`, "m").exec(body)?.[1] ?? null));
    });
    req.on("error", reject);
  });
}

const opOf = (targetId: string) => db.operation.findFirstOrThrow({ where: { targetId }, orderBy: { createdAt: "desc" } });

/** A converged site's operation finishes with its serve check, which a loaded machine may need a second try at. */
async function succeeded(targetId: string) {
  const settled = async () => {
    await settleOperations(db);
    return (await opOf(targetId)).status === "SUCCEEDED";
  };
  await waitFor(`the operation of ${targetId} to succeed`, settled, { timeoutMs: 15_000 });
}

/** The nginx master's children: a reload replaces every one of them. */
async function nginxChildren(): Promise<string> {
  const master = await nginxPid(node);
  return (await readFile(`/proc/${master}/task/${master}/children`, "utf8").catch(() => "")).trim().split(" ").sort().join(" ");
}

async function newSite(name: string) {
  const d = await asA().domain.create({ name });
  return asA().site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
}

beforeAll(async () => {
  world = await makeWorld();
  node = await makeNode(address, 17434, 17435, { backendPort: 17436, holdPort: 17437 });
  nodeId = (await db.node.create({ data: { name: nodeName, address, agentPort, httpPort: 17434, backendPort: 17436, status: "HEALTHY" } })).id;
  agent = await startAgentServer({ host: address, port: agentPort, secret: agentSecret(clusterSecret, nodeName), nodeRoot: node, tls: await testNodeTls(node) });
  metrics = await startControlMetrics({
    db,
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    prefix: `itest-hold-${randomBytes(3).toString("hex")}`,
    workers: [],
    log: () => {},
    env: { SHOAL_METRICS_PORT: "0", SHOAL_METRICS_TOKEN: metricsToken },
  });
}, 60_000);

afterAll(async () => {
  await metrics?.close();
  await agent?.close();
  await destroyNode(node);
}, 60_000);

describe("a site its node cannot converge", () => {
  it("is held: its operation fails with the reason, later specs carry it as held, nginx stops reloading for it, others converge, and a retry releases it", async () => {
    const good = await newSite("hold-good.test");
    await deliver(good.id);
    await succeeded(good.id);

    const bad = await newSite("hold-bad.test");
    const stop = startRewriter(node.vhostFile(bad.id));
    try {
      // The first reconcile applies it, finds it does not read back, holds it and asks for a retry.
      await expect(deliver(bad.id)).rejects.toBeInstanceOf(ReconcileRetry);
      const failed = await opOf(bad.id);
      expect(failed.status).toBe("FAILED");
      // The customer's words name no node; the admin's detail is the agent's own.
      expect(failed.customerError).toBe(customerReason("site"));
      expect(failed.customerError).not.toContain(nodeName);
      expect(failed.lastError).toMatch(new RegExp(`^site ${bad.id}: its vhost does not read back as written`));
      const hold = await db.convergeHold.findFirstOrThrow({ where: { nodeId, objectId: bad.id } });
      expect(hold).toMatchObject({ objectKind: "site", generation: 1 });
      expect(hold.reason).toMatch(new RegExp(`^site ${bad.id}: its vhost does not read back as written`));
      // The admin sees it in the control worker's metrics, and the agent's words on the node.
      expect(await heldSitesMetric()).toBe("1");
      expect((await db.node.findUniqueOrThrow({ where: { id: nodeId } })).lastError).toContain("does not read back as written");

      // The next spec holds it (sent, so not torn down; not among what the reconcile records).
      const built = await buildNodeSpec(db, nodeId, clusterSecret);
      expect(built.spec.held).toEqual([bad.id]);
      expect(built.spec.sites.map((s) => s.id)).toContain(bad.id);
      expect(built.objects.sites.map((s) => s.id)).not.toContain(bad.id);

      // Ten reconciles, forced as the drift repair forces them; round 5 adds a good site.
      const reloads: number[] = [];
      let other: Awaited<ReturnType<typeof newSite>> | null = null;
      for (let round = 1; round <= 10; round++) {
        const before = await nginxChildren();
        if (round === 5) {
          other = await newSite("hold-other.test");
          await deliver(other.id);
        } else {
          await reconcileNode(ctx, nodeId, true);
        }
        if ((await nginxChildren()) !== before) reloads.push(round);
      }
      expect(reloads).toEqual([5]);
      await succeeded(other!.id);
      expect((await httpGet(node, "hold-other.test", "/")).status).toBe(200);
      expect((await httpGet(node, "hold-good.test", "/")).status).toBe(200);
      expect((await db.node.findUniqueOrThrow({ where: { id: nodeId } })).lastError).toBeNull();
      // Still held, still as the outside writer left it, and its operation still failed.
      expect(await db.convergeHold.count({ where: { nodeId, objectId: bad.id } })).toBe(1);
      expect((await opOf(bad.id)).status).toBe("FAILED");
      expect(readFileSync(node.vhostFile(bad.id), "utf8")).toMatch(/# rewritten\n$/);
    } finally {
      stop();
    }

    // The cause gone, a retry releases the hold and the node converges the site.
    await asA().operation.retry({ id: (await opOf(bad.id)).id });
    expect(await db.convergeHold.count({ where: { objectId: bad.id } })).toBe(0);
    expect(await heldSitesMetric()).toBeNull();
    expect((await buildNodeSpec(db, nodeId, clusterSecret)).spec.held).toBeUndefined();
    await deliver(bad.id);
    await succeeded(bad.id);
    expect((await httpGet(node, "hold-bad.test", "/")).status).toBe(200);
  }, 180_000);
});
