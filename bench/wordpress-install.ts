import http from "node:http";
import { appAdminPassword } from "../server/contract/cluster-secrets";
import { loadavg, runClusterBench, summary, type BenchCluster } from "./cluster-bench";

// WordPress, click → logged-in-ready and served by every edge: from the moment the customer's
// "Install" mutation is sent until its operation is SUCCEEDED (placement, account, store, vhost +
// pool, database, WordPress installed, routes on every edge, a GET through every front door).
// After each install (untimed) the admin login is checked through another node's edge.
// INSTALLS (20) one after another, as customers clicking. Target: p50 ≤ 5 s.

const INSTALLS = Number(process.env.INSTALLS ?? 20);

function login(address: string, host: string, password: string): Promise<boolean> {
  const body = new URLSearchParams({ log: "admin", pwd: password, "wp-submit": "Log In", redirect_to: "/wp-admin/", testcookie: "1" }).toString();
  return new Promise((resolve) => {
    const req = http.request(
      { host: address, port: 18080, path: "/wp-login.php", method: "POST", agent: false, timeout: 20_000, headers: { host, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), cookie: "wordpress_test_cookie=WP%20Cookie%20check" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve((res.headers["set-cookie"] ?? []).some((c) => c.startsWith("wordpress_logged_in_"))));
      },
    );
    req.on("error", () => resolve(false));
    req.end(body);
  });
}

async function main({ cluster, db, fixtures }: BenchCluster) {
  const world = await fixtures.makeWorld();
  const plan = await db.plan.create({ data: { resellerId: world.resellerA.id, name: "Bench WP", maxSites: 50, diskMb: 100_000, maxDatabases: 50, maxMailboxes: 1, trafficGbMonth: 1 } });
  const { customer, account } = await fixtures.makeCustomer(world.resellerA.id, "WP bench");
  await db.hostingAccount.update({ where: { id: account.id }, data: { planId: plan.id } });
  const caller = fixtures.callerFor(await fixtures.makeUser("CUSTOMER", world.resellerA.id, customer.id));
  console.log(`${INSTALLS} WordPress installs one after another, load ${await loadavg()}`);
  const times: number[] = [];
  let logins = 0;
  for (let i = 0; i < INSTALLS; i++) {
    const domain = await caller.domain.create({ name: `wp-bench-${i}.test` });
    const clicked = Date.now();
    const res = await caller.site.create({ domainId: domain.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    const op = await cluster.waitFor(
      `install ${i}`,
      async () => {
        const o = await db.operation.findUniqueOrThrow({ where: { id: res.operationId } });
        if (o.status === "FAILED") throw new Error(`install ${i} failed: ${o.lastError}`);
        return o.status === "SUCCEEDED" ? o : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 20 },
    );
    times.push(op.finishedAt!.getTime() - clicked);
    const live = await db.placement.findFirstOrThrow({ where: { siteId: res.id }, include: { node: true } });
    const other = cluster.nodes.find((n) => n.address !== live.node.address)!;
    if (await login(other.address, `wp-bench-${i}.test`, appAdminPassword(cluster.clusterSecret, res.id))) logins++;
    process.stdout.write(`  #${i + 1}: ${times[i]} ms on ${live.node.name}\n`);
  }
  const s = summary(times);
  console.log(`\nWordPress click → logged-in-ready and served by every edge (${s.n} installs, ${logins}/${s.n} admin logins worked)`);
  console.log(`  p50 ${s.p50} ms   p90 ${s.p90} ms   max ${s.max} ms      target p50 ≤ 5000 ms`);
  console.log(`load at the end: ${await loadavg()}`);
}

runClusterBench(main, { workers: 1, storage: "btrfs" });
