import { chmod, chown, lstat, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge } from "../../../worker/agent/converge";
import { withAdmin } from "../../../worker/agent/drivers/mariadb";
import { ensureNodeLayout, nodeRoot, type NodeRoot } from "../../../worker/agent/node-root";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { databaseExists } from "../../../worker/agent/storage/db-dumps";
import { siteStorage } from "../../../worker/agent/storage/site-storage";
import { waitFor } from "../../../worker/agent/wait-for";
import { backendGet, destroyNode, makeNode, uniqueUsername } from "./node-harness";
import { signedHeaders } from "../../../server/contract/agent-signature";
import { agentUrl, controlTransport, type AgentFetch } from "../../../server/contract/agent-transport";
import { testNodeTls } from "../../helpers/cluster-tls";

// A site's round trip between two nodes, as a planned move does it: A serves the site, B keeps a
// replica (account only, snapshots streamed full then incrementally), B promotes the newest
// snapshot and serves the site with A's files and rows, A is demoted to a replica (its live
// volume, vhost, pool and database go; its snapshots stay), and the site goes back to A from a
// snapshot taken on B. Both nodes use the same ports on their own addresses, as the local
// cluster's nodes do, so the site's PHP reaches "its" MariaDB at the address it is served on.

const ports = { httpPort: 18601, mysqlPort: 13601, backendPort: 18602, holdPort: 18603 };
const agentPort = 18610;
const secret = "replica-test-secret-0123456789abcdef";
const username = uniqueUsername("rp");
const db = `${username}_main`;
const dbPassword = "replica-db-password-0001";
const siteId = "rsite1";
const host = "replica.example.test";

// Snapshot names are a kind and a UTC time (storage/names.ts).
const s1 = "s-20261201T210001Z";
const s2 = "s-20261201T210002Z";
const s3 = "s-20261201T210003Z";

const accounts = [{ id: "acc1", username, status: "ACTIVE" }];
const liveSpec = {
  accounts,
  sites: [{ id: siteId, accountId: "acc1", domains: [host], documentRoot: "public", phpSettings: {}, status: "ACTIVE" }],
  databases: [{ id: "db1", accountId: "acc1", name: db, users: [{ username: db, password: dbPassword }] }],
};
const replicaSpec = { accounts, sites: [], databases: [], replicas: [{ siteId, accountId: "acc1" }] };

// The page shows the version file and the rows: both halves of a snapshot.
const indexPhp = `<?php
$db = new mysqli($_SERVER['SERVER_ADDR'], '${db}', '${dbPassword}', '${db}', ${ports.mysqlPort});
$rows = array_column($db->query('SELECT body FROM notes ORDER BY id')->fetch_all(), 0);
echo trim(file_get_contents(__DIR__ . '/version.txt')), ' ', implode(',', $rows);
`;

let a: NodeRoot;
let b: NodeRoot;
const servers: AgentServer[] = [];

const url = (n: NodeRoot, p: string) => agentUrl({ address: n.address, port: agentPort }, p);
/** Over TLS with the control plane's certificate, as the control plane calls (server/contract/agent-transport.ts). */
const agentFetch = (...args: Parameters<AgentFetch>) => controlTransport().fetch(...args);
/** Signed as the control plane signs each call (server/contract/agent-signature.ts). */
const auth = (method: string, p: string, body?: string | Uint8Array) => signedHeaders(secret, method, p, body);
const post = (n: NodeRoot, p: string, body: unknown) =>
  agentFetch(url(n, p), { method: "POST", headers: { ...auth("POST", p, JSON.stringify(body)), "content-type": "application/json" }, body: JSON.stringify(body) });
const snapshot = async (n: NodeRoot, name: string) => {
  const res = await post(n, `/v1/sites/${siteId}/snapshots`, { name, databases: [db] });
  expect(res.status).toBe(201);
};
const promote = (n: NodeRoot, body: unknown) => post(n, `/v1/sites/${siteId}/promote`, body);

/** GET stream on `from` piped into PUT stream on `to`, as the control plane does (worker/control/agent-client.ts). */
async function stream(from: NodeRoot, to: NodeRoot, name: string, parent?: string): Promise<number> {
  const path = `/v1/sites/${siteId}/snapshots/${name}/stream`;
  const sourcePath = `${path}${parent ? `?parent=${parent}` : ""}`;
  const source = await agentFetch(url(from, sourcePath), { headers: auth("GET", sourcePath) });
  expect(source.status).toBe(200);
  const body = Buffer.from(await source.arrayBuffer());
  const res = await agentFetch(url(to, path), {
    method: "PUT",
    headers: { ...auth("PUT", path, body), "content-type": "application/octet-stream", "x-shoal-storage": source.headers.get("x-shoal-storage")! },
    body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return body.length;
}

const query = (n: NodeRoot, sql: string) => withAdmin(n, (conn) => conn.query(sql));

/** Writes a file into the live site as the account would (its owner and group). */
async function writeSiteFile(n: NodeRoot, rel: string, content: string): Promise<void> {
  const file = path.join(n.siteDir(username, siteId), "public", rel);
  const owner = await lstat(path.dirname(file));
  await writeFile(file, content);
  await chown(file, owner.uid, owner.gid);
}

async function convergeOk(n: NodeRoot, spec: unknown) {
  const results = await converge(n, spec);
  expect(results.filter((r) => !r.ok)).toEqual([]);
  return results;
}

const serves = (n: NodeRoot, expected: string) =>
  waitFor(`${n.address} to serve "${expected}"`, async () => {
    const r = await backendGet(n, host, "/");
    if (r.status === 200 && r.body === expected) return r;
    throw new Error(`${r.status} ${r.body.slice(0, 300)}`);
  });

const exists = (p: string) => lstat(p).then(() => true, () => false);
const snapshotNames = async (n: NodeRoot) => (await siteStorage(n).listSnapshots(siteId)).map((s) => s.name);

beforeAll(async () => {
  [a, b] = await Promise.all([makeNode("127.0.26.1", ports.httpPort, ports.mysqlPort, ports), makeNode("127.0.26.2", ports.httpPort, ports.mysqlPort, ports)]);
  for (const n of [a, b]) servers.push(await startAgentServer({ host: n.address, port: agentPort, secret, nodeRoot: n, tls: await testNodeTls(n) }));
  // A first: the nodes share /etc/passwd, and the account's user is made (and later deleted) by
  // the node whose home its passwd entry names.
  await convergeOk(a, liveSpec);
  await convergeOk(b, replicaSpec);
  await query(a, `CREATE TABLE \`${db}\`.notes (id INT PRIMARY KEY, body VARCHAR(100)) ENGINE=InnoDB`);
  await query(a, `INSERT INTO \`${db}\`.notes VALUES (1, 'first')`);
  await writeSiteFile(a, "index.php", indexPhp);
  await writeSiteFile(a, "version.txt", "v1\n");
}, 60_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  // Each node goes even if the other's teardown fails; B first, so A's removal deletes the user.
  const failures: unknown[] = [];
  for (const n of [b, a]) if (n) await destroyNode(n).catch((e: unknown) => failures.push(e));
  expect(failures).toEqual([]);
}, 60_000);

describe("replicas and promotion", () => {
  it("keeps a replica as an account and snapshots only", async () => {
    await serves(a, "v1 first");
    expect(await exists(b.accountHome(username))).toBe(true);
    expect(await exists(b.siteDir(username, siteId))).toBe(false);
    expect(await readdir(b.vhostDir)).not.toContain(`${siteId}.conf`);
    // Nothing left to do: a replica without a live volume is a fixed point.
    expect(await converge(b, replicaSpec)).toEqual([]);
  });

  it("refuses a replica of an unknown account with the field's path, and a promote of a snapshot the node lacks", async () => {
    const spec = JSON.stringify({ ...replicaSpec, replicas: [{ siteId, accountId: "acc1" }, { siteId: "other1", accountId: "acc9" }] });
    const res = await agentFetch(url(b, "/v1/spec"), { method: "PUT", headers: { ...auth("PUT", "/v1/spec", spec), "content-type": "application/json" }, body: spec });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { issues: unknown[] } }).error.issues).toEqual([
      { path: "replicas.1.accountId", message: 'Account "acc9" is not in this spec.' },
    ]);
    const missing = await promote(b, { name: "s-20261201T219999Z", databases: [db] });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toBe(`Site ${siteId} has no snapshot s-20261201T219999Z.`);
  });

  it("moves the site to the replica: full then incremental stream, promote, serve on B, demote A", async () => {
    await snapshot(a, s1);
    const full = await stream(a, b, s1);
    await writeSiteFile(a, "version.txt", "v2\n");
    await query(a, `INSERT INTO \`${db}\`.notes VALUES (2, 'second')`);
    await snapshot(a, s2);
    const delta = await stream(a, b, s2, s1);
    console.log(`[replica] stream s1 (full): ${full} bytes; s2 (incremental from s1): ${delta} bytes`);
    expect(delta).toBeLessThan(full);
    expect(await snapshotNames(b)).toEqual([s1, s2]);

    const promoted = await promote(b, { name: s2, databases: [db] });
    const result = (await promoted.json()) as { promoted: { name: string }; kept: unknown; username: string; timingsMs: Record<string, number> };
    expect(promoted.status, JSON.stringify(result)).toBe(200);
    console.log(`[replica] promote on a replica: ${JSON.stringify(result.timingsMs)}`);
    expect(result).toMatchObject({ promoted: { name: s2 }, kept: null, username });
    expect(Object.keys(result.timingsMs).sort()).toEqual(["databases", "files", "keepCurrent", "total"]);
    // A repeat (a lost answer, a retried step) ends in the same state and does not fail.
    const again = await promote(b, { name: s2, databases: [db] });
    expect(again.status).toBe(200);
    expect(await readFile(path.join(b.siteDir(username, siteId), "public/version.txt"), "utf8")).toBe("v2\n");
    expect(await query(b, `SELECT id, body FROM \`${db}\`.notes ORDER BY id`)).toEqual([{ id: 1, body: "first" }, { id: 2, body: "second" }]);

    // Serving it needs only what a snapshot does not carry: no store rebuild, no new database.
    const steps = await convergeOk(b, liveSpec);
    // (The account had no PHP here while it held only a replica: its master starts; and its disk
    // limit now covers the site.)
    expect(steps.map((s) => s.kind)).toEqual(["ensureAccountQuota", "writePhpFpmMain", "installPool", "startPhpFpm", "installVhost", "reloadNginx", "ensureDatabaseUser"]);
    await serves(b, "v2 first,second");

    const demoted = await convergeOk(a, replicaSpec);
    expect(demoted.map((s) => s.kind)).toEqual([
      "ensureAccountQuota",
      "installPool",
      "stopPhpFpm",
      "writePhpFpmMain",
      "installVhost",
      "reloadNginx",
      "dropDatabaseUser",
      "dropDatabase",
      "demoteSiteStore",
    ]);
    expect(await exists(a.siteDir(username, siteId))).toBe(false);
    expect(await exists(a.siteTmpDir(username, siteId))).toBe(false);
    expect(await exists(a.vhostFile(siteId))).toBe(false);
    expect(await exists(a.poolFile(username, siteId))).toBe(false);
    expect(await databaseExists(a, db)).toBe(false);
    expect(await snapshotNames(a)).toEqual([s1, s2]);
    expect((await backendGet(a, host, "/")).body).not.toContain("second");
    expect(await converge(a, replicaSpec)).toEqual([]);
  });

  it("moves it back: a snapshot taken on B streams to A incrementally, A promotes and serves, B is demoted", async () => {
    await writeSiteFile(b, "version.txt", "v3\n");
    await query(b, `INSERT INTO \`${db}\`.notes VALUES (3, 'third, on b')`);
    await snapshot(b, s3);
    await stream(b, a, s3, s2);
    const back = await promote(a, { name: s3, databases: [db] });
    expect(back.status, await back.clone().text()).toBe(200);
    const steps = await convergeOk(a, liveSpec);
    // (The account had no PHP here while it held only a replica: its master starts; and its disk
    // limit now covers the site.)
    expect(steps.map((s) => s.kind)).toEqual(["ensureAccountQuota", "writePhpFpmMain", "installPool", "startPhpFpm", "installVhost", "reloadNginx", "ensureDatabaseUser"]);
    await serves(a, "v3 first,second,third, on b");
    await convergeOk(b, replicaSpec);
    expect(await exists(b.siteDir(username, siteId))).toBe(false);
    expect(await snapshotNames(b)).toEqual([s1, s2, s3]);
    expect(await snapshotNames(a)).toEqual([s1, s2, s3]);

    // A live site is replaced only with its state kept: keepCurrentAs is required then.
    const unkept = await promote(a, { name: s2, databases: [db] });
    expect(unkept.status).toBe(422);
    expect(((await unkept.json()) as { error: { message: string } }).error.message).toMatch(/keepCurrentAs must name the snapshot/);
    await serves(a, "v3 first,second,third, on b");
  });

  it("refuses to promote on a node where the site's account does not exist", async () => {
    const base = await mkdtemp("/var/tmp/shoal-replica-bare-");
    await chmod(base, 0o755);
    try {
      const bare = nodeRoot({ root: path.join(base, "node"), address: "127.0.26.3", ...ports });
      await ensureNodeLayout(bare);
      const sent = await siteStorage(a).sendSnapshot(siteId, s1);
      await siteStorage(bare).receiveSnapshot(siteId, Readable.from(sent), { name: s1, maxBytes: 1 << 30 });
      await expect(siteStorage(bare).promoteSnapshot(siteId, s1, { databases: [db] })).rejects.toMatchObject({
        code: "CONFLICT",
        message: `Account ${username} of site ${siteId} does not exist on this node; converge a spec that lists the site in replicas (with its account) before promoting it.`,
      });
      expect(await exists(bare.siteDir(username, siteId))).toBe(false);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
