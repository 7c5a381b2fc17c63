import http from "node:http";
import { readdir, readFile } from "node:fs/promises";
import mariadb from "mariadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db";
import { appAdminPassword, databasePassword } from "../../server/contract/cluster-secrets";
import { callerFor } from "../helpers/fixtures";
import { startCluster, type Cluster } from "./harness";
import { operationSucceeded } from "./operations";

// The node fleet end to end on three real nodes: a WordPress site created through the tRPC caller
// is placed, converged, routed and served by every node's edge; its database login works; a
// control worker killed with -9 mid-apply is replaced by another without duplicates; an agent
// restart does not interrupt serving; suspend and terminate reach every node and leave nothing.

let cluster: Cluster;
const world = () => cluster.world!;
const asA = () => callerFor(world().users.customerA);

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, workers: 1 });
});
afterAll(async () => {
  await cluster?.stop();
});

const operationDone = (operationId: string, timeoutMs = 90_000) => operationSucceeded(cluster, operationId, timeoutMs);

function postForm(address: string, port: number, host: string, path: string, form: Record<string, string>): Promise<{ status: number; cookies: string[]; location?: string }> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: address, port, path, method: "POST", agent: false, timeout: 20_000, headers: { host, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), cookie: "wordpress_test_cookie=WP%20Cookie%20check" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, cookies: res.headers["set-cookie"] ?? [], location: res.headers.location }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("POST timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

async function livePlacement(siteId: string) {
  const p = await db.placement.findFirstOrThrow({ where: { siteId, role: "PRIMARY" }, include: { node: true } });
  return cluster.nodes.find((n) => n.name === p.node.name)!;
}

async function poolFiles(nodeIndex: number, siteId: string): Promise<string[]> {
  // etc/php-fpm/pools/<account>/<site>.conf
  const dir = cluster.nodes[nodeIndex - 1]!.root.poolsDir;
  return (await readdir(dir, { recursive: true }).catch(() => [])).filter((f) => f.includes(siteId));
}

const passwdLines = async (username: string) => (await readFile("/etc/passwd", "utf8")).split("\n").filter((l) => l.startsWith(`${username}:`));

describe("the node fleet on three nodes", () => {
  let wpSiteId: string;

  it("registers three nodes that turn healthy from their heartbeats", async () => {
    await cluster.waitFor("three healthy nodes", async () => (await db.node.count({ where: { status: "HEALTHY" } })) === 3);
    const nodes = await db.node.findMany({ select: { metrics: true, lastHeartbeatAt: true } });
    for (const n of nodes) expect((n.metrics as { cpu?: { cores?: number } }).cpu?.cores).toBeGreaterThan(0);
  });

  it("installs WordPress, serves it through every node's edge, and its admin and database logins work", async () => {
    const d = await asA().domain.create({ name: "fleet-blog.test" });
    const created = await asA().site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    wpSiteId = created.id;
    const op = await operationDone(created.operationId);
    expect(op.steps.map((s) => [s.kind, s.status])).toEqual(op.steps.map((s) => [s.kind, "SUCCEEDED"]));
    for (const node of cluster.nodes) {
      const res = await cluster.edgeGet(node.index, "fleet-blog.test", "/");
      expect(res.status, `edge of ${node.name}`).toBe(200);
      expect(res.body).toContain("fleet-blog.test");
    }
    const live = await livePlacement(wpSiteId);
    // The admin logs in through another node's edge than the live one: one hop, same answer.
    const other = cluster.nodes.find((n) => n.index !== live.index)!;
    const login = await postForm(other.address, 18080, "fleet-blog.test", "/wp-login.php", {
      log: "admin",
      pwd: appAdminPassword(cluster.clusterSecret, wpSiteId),
      "wp-submit": "Log In",
      redirect_to: "/wp-admin/",
      testcookie: "1",
    });
    expect(login.status).toBe(302);
    expect(login.cookies.some((c) => c.startsWith("wordpress_logged_in_"))).toBe(true);

    const database = await db.database.findFirstOrThrow({ where: { siteId: wpSiteId }, include: { users: true } });
    expect(database.nodeId).toBe((await db.node.findUniqueOrThrow({ where: { name: live.name } })).id);
    const conn = await mariadb.createConnection({
      host: live.address,
      port: 13306,
      user: database.users[0]!.username,
      password: databasePassword(cluster.clusterSecret, database.users[0]!.id),
      database: database.name,
    });
    const rows = await conn.query<{ n: bigint }[]>("SELECT COUNT(*) AS n FROM wp_users");
    await conn.end();
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it("installs DokuWiki through the same catalog, without a database, served by every edge", async () => {
    const d = await asA().domain.create({ name: "fleet-wiki.test" });
    const created = await asA().site.create({ domainId: d.id, app: "DOKUWIKI", phpVersion: "8.2", documentRoot: "public" });
    const op = await operationDone(created.operationId);
    expect(op.steps.map((s) => s.kind)).toContain("app install");
    expect(await db.database.count({ where: { siteId: created.id } })).toBe(0);
    for (const node of cluster.nodes) {
      const res = await cluster.edgeGet(node.index, "fleet-wiki.test", "/doku.php");
      expect(res.status, `edge of ${node.name}`).toBe(200);
      expect(res.body).toContain("DokuWiki");
    }
  });

  it("a control worker killed with -9 mid-apply is replaced by another; nothing is duplicated", async () => {
    const d = await asA().domain.create({ name: "fleet-kill.test" });
    const created = await asA().site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    const second = await cluster.startWorker();
    await cluster.waitFor("the apply to be under way", async () => {
      const steps = await db.operationStep.findMany({ where: { operationId: created.operationId, status: "RUNNING" } });
      return steps.length > 0;
    });
    await cluster.killWorker(1, "SIGKILL");
    const op = await operationDone(created.operationId, 120_000);
    expect(op.status).toBe("SUCCEEDED");
    const live = await livePlacement(created.id);
    const account = world().customers.a.account;
    expect(await passwdLines(account.username)).toHaveLength(1);
    expect(await poolFiles(live.index, created.id)).toEqual([`${account.username}/${created.id}.conf`]);
    // One live placement and the plan's one replica, on different nodes.
    const placements = await db.placement.findMany({ where: { siteId: created.id } });
    expect(placements.map((p) => p.role).sort()).toEqual(["PRIMARY", "REPLICA"]);
    expect(new Set(placements.map((p) => p.nodeId)).size).toBe(2);
    expect(await db.database.count({ where: { siteId: created.id } })).toBe(1);
    for (const node of cluster.nodes) expect((await cluster.edgeGet(node.index, "fleet-kill.test", "/")).status).toBe(200);
    expect(second).toBe(2);
  });

  it("keeps serving while an agent is down, and the restarted agent converges what changed meanwhile", async () => {
    const live = await livePlacement(wpSiteId);
    await cluster.killAgent(live.index, "SIGKILL");
    for (const node of cluster.nodes) expect((await cluster.edgeGet(node.index, "fleet-blog.test", "/")).status).toBe(200);
    // A change while the node is away waits, then lands when its agent is back.
    const database = await asA().database.create({ name: "extra", accountId: world().customers.a.account.id });
    const waiting = await cluster.waitFor("the database operation to report the missing node", async () => {
      const op = await db.operation.findFirst({ where: { targetId: database.id }, orderBy: { createdAt: "desc" } });
      return op?.lastError?.includes("not answering") ? op : undefined;
    });
    expect(waiting.status).not.toBe("SUCCEEDED");
    await cluster.restartAgent(live.index);
    await operationDone(waiting.id);
  });

  it("suspends a customer on every edge and brings the site back on unsuspend", async () => {
    const reseller = callerFor(world().users.resellerA);
    await reseller.customer.suspend({ id: world().customers.a.customer.id });
    await cluster.waitFor("every edge to show the suspended page", async () => {
      for (const node of cluster.nodes) {
        const res = await cluster.edgeGet(node.index, "fleet-blog.test", "/");
        if (res.status !== 503 || !res.body.includes("suspended")) return false;
      }
      return true;
    });
    await reseller.customer.unsuspend({ id: world().customers.a.customer.id });
    await cluster.waitFor("the site to serve again", async () => (await cluster.edgeGet(1, "fleet-blog.test", "/")).status === 200);
  });

  it("terminating a customer leaves nothing behind on any node, and the same names can be created again", async () => {
    const account = world().customers.a.account;
    const live = await livePlacement(wpSiteId);
    const dbName = (await db.database.findFirstOrThrow({ where: { siteId: wpSiteId } })).name;
    await callerFor(world().users.resellerA).customer.terminate({ id: world().customers.a.customer.id, confirmName: world().customers.a.customer.name });
    await cluster.waitFor("the account to be gone from every node", async () => {
      if ((await passwdLines(account.username)).length > 0) return false;
      for (const node of cluster.nodes) {
        if ((await cluster.edgeGet(node.index, "fleet-blog.test", "/")).status !== 404) return false;
        if ((await readdir(node.root.vhostDir)).length > 0 || (await readdir(node.root.poolsDir)).length > 0) return false;
        if ((await readdir(node.root.homeDir)).length > 0) return false;
      }
      return (await db.placement.count()) === 0;
    });
    const conn = await mariadb.createConnection({ socketPath: live.root.mysqlSocket, user: "root" });
    const dbs = await conn.query<{ Database: string }[]>("SHOW DATABASES");
    await conn.end();
    expect(dbs.map((r) => r.Database)).not.toContain(dbName);

    // A new customer takes the same Unix username, domain and database name: all converge afresh.
    const reseller = callerFor(world().users.resellerA);
    const again = await reseller.customer.create({
      name: "Customer A again",
      email: "again@example.test",
      planId: world().customers.a.plan.id,
      unixUsername: account.username,
      login: { email: "again-login@example.test", password: "correct horse battery staple 9" },
    });
    const againAccount = await db.hostingAccount.findFirstOrThrow({ where: { customerId: again.id, deletedAt: null } });
    expect(againAccount.username).toBe(account.username);
    const user = await db.user.findFirstOrThrow({ where: { customerId: again.id } });
    const asAgain = callerFor({ id: user.id, email: user.email, name: user.name, role: user.role, resellerId: user.resellerId, customerId: user.customerId, twoFactorEnabled: false });
    const domain = await asAgain.domain.create({ name: "fleet-blog.test" });
    const site = await asAgain.site.create({ domainId: domain.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    await operationDone(site.operationId);
    expect((await db.database.findFirstOrThrow({ where: { siteId: site.id } })).name).toBe(dbName);
    for (const node of cluster.nodes) expect((await cluster.edgeGet(node.index, "fleet-blog.test", "/")).status).toBe(200);
    expect(await passwdLines(account.username)).toHaveLength(1);
  });
});
