import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { agentSecret } from "../../../server/contract/cluster-secrets";
import { db } from "../../../server/db";
import { QUEUES, createRedisConnection } from "../../../server/jobs/queues";
import { ensureNodeLayout, nodeRoot, type NodeRoot } from "../../../worker/agent/node-root";
import { signedRequestAuth } from "../../../worker/agent/auth";
import { agentRouter } from "../../../worker/agent/router";
import { storageRoutes } from "../../../worker/agent/storage/routes";
import { siteStorage } from "../../../worker/agent/storage/site-storage";
import { runRestoreFile } from "../../../worker/control/run-restore-file";
import { expectFailure } from "../../helpers/expect-failure";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { dropNodeReads, startNodeReads, type NodeReads } from "../../helpers/node-reads";
import { freshDomain, tenantCustomer } from "../domain/authz-fixtures";
import { testNodeTls } from "../../helpers/cluster-tls";

// site.previewRollback, site.browseSnapshot and site.restoreSnapshotFile against Postgres, Redis
// and the agent's real storage API (worker/agent/storage/routes.ts over the directory driver, on
// a node root of this test's own, served on 127.0.0.1 with the node's bearer token). The panel
// never calls the node: its questions go through BullMQ to the control worker's node-read
// consumer (run here in-process), and a restore is an operation the worker's own runRestoreFile
// applies from its outbox row. Tenancy in the where clause, the path grammar with its messages,
// nothing written for a refused path, and the operation, audit and outbox rows a restore commits.
// The databases half of a preview needs MariaDB: tests/cluster/ui-moves-rollback.test.ts.

// Before server/env.ts is read: how long the panel waits for a worker to take its question.
vi.hoisted(() => {
  process.env.SHOAL_NODE_READ_TIMEOUT_MS = "2000";
});

let world: Awaited<ReturnType<typeof makeWorld>>;
let base: string;
let node: NodeRoot;
let server: https.Server;
let siteId: string;
let siteDir: string;
let snapshotId: string;
let reads: NodeReads;
const nodeName = `files-${Date.now().toString(36)}`;

beforeAll(async () => {
  world = await makeWorld();
  reads = await startNodeReads();
  base = await mkdtemp("/var/tmp/shoal-snapshot-files-");
  node = nodeRoot({ root: path.join(base, "node"), address: "127.0.0.1", httpPort: 1, backendPort: 2, holdPort: 3, mysqlPort: 4, storage: "dir" });
  await ensureNodeLayout(node);
  const handle = agentRouter(storageRoutes(node, { lock: { run: (task) => task() } }));
  // The agent's own check of a signed request, with the node's token.
  const authorised = signedRequestAuth(agentSecret(process.env.SHOAL_CLUSTER_SECRET!, nodeName));
  // Over TLS with the node's certificate, as the agent serves its API.
  server = https.createServer(await testNodeTls(node), (req, res) => {
    if (!authorised(req)) {
      res.writeHead(401).end();
      return;
    }
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  const c = tenantCustomer(world, "A");
  const domain = await freshDomain(world, "A");
  const site = await db.site.create({ data: { accountId: c.account.id, domainId: domain.id, status: "ACTIVE" }, select: { id: true } });
  siteId = site.id;
  const row = await db.node.create({ data: { name: nodeName, address: "127.0.0.1", agentPort: port, status: "HEALTHY" }, select: { id: true } });
  await db.placement.create({ data: { siteId, nodeId: row.id, role: "PRIMARY" } });

  // The site's store as a node lays it out, with a few files, snapshotted once.
  siteDir = node.siteDir(c.account.username, siteId);
  await mkdir(path.join(siteDir, "public/wp-content"), { recursive: true });
  await writeFile(path.join(siteDir, "public/index.php"), "<?php echo 'old front page';\n");
  await writeFile(path.join(siteDir, "public/wp-content/style.css"), "body { color: black }\n");
  await writeFile(path.join(siteDir, "public/gone-later.html"), "bye\n");
  const storage = siteStorage(node);
  const name = "s-20261201T200000Z";
  const info = await storage.createSnapshot(siteId, name);
  snapshotId = (await db.snapshot.create({ data: { siteId, nodeId: row.id, name, takenAt: new Date(info.takenAt), sizeBytes: BigInt(info.sizeBytes) }, select: { id: true } })).id;

  // Then the customer changes things: one file edited, one deleted, one added.
  await writeFile(path.join(siteDir, "public/index.php"), "<?php echo 'new front page, longer';\n");
  const later = new Date(Date.now() + 5_000);
  await utimes(path.join(siteDir, "public/index.php"), later, later);
  await rm(path.join(siteDir, "public/gone-later.html"));
  await writeFile(path.join(siteDir, "public/added.txt"), "new\n");
});

afterAll(async () => {
  await reads?.stop();
  await dropNodeReads();
  await new Promise((resolve) => server?.close(resolve));
  if (base) await rm(base, { recursive: true, force: true });
});

const asA = () => callerFor(world.users.customerA);

/** Rows a restore writes: its operation, its audit entry, its outbox event. */
const written = async () => ({
  operations: await db.operation.count({ where: { targetId: siteId } }),
  audit: await db.auditEvent.count({ where: { targetId: siteId } }),
  outbox: await db.outboxEvent.count({ where: { aggregateId: siteId } }),
});

/** What the control worker's outbox consumer does with the restore's event (worker/control/main.ts). */
async function deliverRestore(operationId: string) {
  const events = await db.outboxEvent.findMany({ where: { topic: "site.restoreFile", aggregateId: siteId }, orderBy: { id: "desc" } });
  const event = events.find((e) => (e.payload as { operationId?: string }).operationId === operationId);
  expect(event, "the restore's outbox row").toBeDefined();
  await runRestoreFile({ db, clusterSecret: process.env.SHOAL_CLUSTER_SECRET! }, event!.id.toString());
  return db.operation.findUniqueOrThrow({ where: { id: operationId }, include: { steps: true } });
}

describe("site.previewRollback", () => {
  it("lists what the rollback would change in the files, against the live site", async () => {
    const preview = await asA().site.previewRollback({ id: siteId, snapshotId });
    expect(preview.snapshotId).toBe(snapshotId);
    expect(preview.files).toMatchObject({ added: 1, removed: 1, changed: 1, unchanged: 1, complete: true, truncated: false });
    expect(preview.files.entries.map((e) => `${e.change} ${e.path}`)).toEqual(["added public/added.txt", "removed public/gone-later.html", "changed public/index.php"]);
    // Only the customer's tree is compared: the dumps are compared as databases, never listed as files.
    expect(preview.files.entries.every((e) => e.path.startsWith("public/"))).toBe(true);
    expect(preview.databases).toEqual([]);
  });

  it("is another tenant's site: not found; a snapshot not of this site: an error on the field", async () => {
    expect((await expectFailure(callerFor(world.users.customerB).site.previewRollback({ id: siteId, snapshotId }))).code).toBe("NOT_FOUND");
    expect(await expectFailure(asA().site.previewRollback({ id: siteId, snapshotId: "nope" }))).toMatchObject({ code: "NOT_FOUND", fields: { snapshotId: "Choose one of this site's snapshots." } });
  });
});

describe("site.browseSnapshot", () => {
  it("lists a snapshot's folders first, and a file's size", async () => {
    const top = await asA().site.browseSnapshot({ id: siteId, snapshotId, path: "" });
    expect(top).toMatchObject({ type: "dir", total: 1, entries: [{ name: "public", type: "dir" }] });
    const pub = await asA().site.browseSnapshot({ id: siteId, snapshotId, path: "public" });
    expect(pub.type === "dir" && pub.entries.map((e) => `${e.type}:${e.name}`)).toEqual(["dir:wp-content", "file:gone-later.html", "file:index.php"]);
    const f = await asA().site.browseSnapshot({ id: siteId, snapshotId, path: "public/index.php" });
    expect(f).toMatchObject({ type: "file", sizeBytes: "<?php echo 'old front page';\n".length });
  });

  it("shows only the customer's tree of a snapshot taken before the volume had its platform part: no dump, marker or stage", async () => {
    // A snapshot as the earlier layout left it: the platform's files among the customer's at its top.
    const name = "s-20261130T200000Z";
    const dir = path.join(node.snapshotsDir, siteId, name);
    await mkdir(path.join(dir, "public"), { recursive: true });
    await writeFile(path.join(dir, "public/index.php"), "<?php echo 'older';\n");
    await mkdir(path.join(dir, ".shoal-db"), { mode: 0o700 });
    await writeFile(path.join(dir, ".shoal-db/snapshot.json"), "{}\n", { mode: 0o600 });
    await writeFile(path.join(dir, ".shoal-app.json"), '{"kind":"wordpress"}\n');
    await mkdir(path.join(dir, ".shoal-app-stage-x1"));
    const takenAt = "2026-11-30T20:00:00.000Z";
    await writeFile(path.join(node.snapshotsDir, siteId, ".meta", `${name}.json`), JSON.stringify({ name, takenAt, sizeBytes: 100, databases: [], startedAtMs: 0 }));
    const row = await db.snapshot.create({ data: { siteId, nodeId: (await db.node.findFirstOrThrow({ where: { name: nodeName } })).id, name, takenAt: new Date(takenAt), sizeBytes: 100n }, select: { id: true } });
    const top = await asA().site.browseSnapshot({ id: siteId, snapshotId: row.id, path: "" });
    expect(top).toMatchObject({ type: "dir", total: 1, entries: [{ name: "public", type: "dir" }] });
    for (const hidden of [".shoal-app.json", ".shoal-db/snapshot.json", ".shoal-app-stage-x1"]) {
      expect((await expectFailure(asA().site.browseSnapshot({ id: siteId, snapshotId: row.id, path: hidden }))).code).toBe("NOT_FOUND");
    }
    await db.snapshot.delete({ where: { id: row.id } });
  });

  it("refuses a path that climbs out, is absolute or has NUL, next to the field; a missing one is not found", async () => {
    for (const [bad, message] of [
      ["../../etc", /"\.\." is not allowed/],
      ["/etc/passwd", /leading "\/"/],
      ["public/\0x", /NUL/],
      ["public//x", /empty parts/],
    ] as const) {
      const failure = await expectFailure(asA().site.browseSnapshot({ id: siteId, snapshotId, path: bad }));
      expect(failure.code, bad).toBe("BAD_REQUEST");
      expect(failure.fields.path, bad).toMatch(message);
    }
    expect(await expectFailure(asA().site.browseSnapshot({ id: siteId, snapshotId, path: "public/nothing-here" }))).toMatchObject({ code: "NOT_FOUND", fields: { path: expect.stringMatching(/not in snapshot/) } });
    expect((await expectFailure(callerFor(world.users.customerB).site.browseSnapshot({ id: siteId, snapshotId, path: "" }))).code).toBe("NOT_FOUND");
  });
});

describe("site.restoreSnapshotFile", () => {
  it("commits a one-step operation with its audit and outbox rows, and the worker puts the file back", async () => {
    const before = await written();
    const res = await asA().site.restoreSnapshotFile({ id: siteId, snapshotId, path: "public/index.php" });
    expect(res).toMatchObject({ id: siteId, path: "public/index.php", sizeBytes: "<?php echo 'old front page';\n".length });
    // The procedure answers at once: the operation waits for a worker, the file is untouched yet.
    expect(await written()).toEqual({ operations: before.operations + 1, audit: before.audit + 1, outbox: before.outbox + 1 });
    const pending = await db.operation.findUniqueOrThrow({ where: { id: res.operationId }, include: { steps: true } });
    expect(pending).toMatchObject({ kind: "site.restoreFile", status: "PENDING", targetId: siteId, actorId: world.users.customerA.id });
    expect(await readFile(path.join(siteDir, "public/index.php"), "utf8")).toBe("<?php echo 'new front page, longer';\n");
    const audit = await db.auditEvent.findFirstOrThrow({ where: { action: "site.restoreFile", targetId: siteId } });
    expect(audit.after).toMatchObject({ path: "public/index.php" });

    const op = await deliverRestore(res.operationId);
    expect(op).toMatchObject({ kind: "site.restoreFile", status: "SUCCEEDED", lastError: null });
    expect(op.steps).toEqual([expect.objectContaining({ kind: "restore file", target: "public/index.php", status: "SUCCEEDED", attempts: 1 })]);
    expect(await readFile(path.join(siteDir, "public/index.php"), "utf8")).toBe("<?php echo 'old front page';\n");
    // Nothing else moved.
    expect(await readFile(path.join(siteDir, "public/added.txt"), "utf8")).toBe("new\n");
    // A second delivery of the same event (a retry after a crash) changes nothing.
    expect(await deliverRestore(res.operationId)).toMatchObject({ status: "SUCCEEDED" });
    // The preview agrees: that file no longer differs.
    const preview = await asA().site.previewRollback({ id: siteId, snapshotId });
    expect(preview.files).toMatchObject({ changed: 0, added: 1, removed: 1 });
  });

  it("refuses a folder, a missing file or an empty path on the field, writing nothing; another tenant's site is not found", async () => {
    const before = await written();
    expect(await expectFailure(asA().site.restoreSnapshotFile({ id: siteId, snapshotId, path: "public" }))).toMatchObject({ code: "BAD_REQUEST", fields: { path: "That is a folder; choose a file inside it." } });
    expect(await expectFailure(asA().site.restoreSnapshotFile({ id: siteId, snapshotId, path: "" }))).toMatchObject({ code: "BAD_REQUEST", fields: { path: "Choose a file to restore." } });
    expect((await expectFailure(asA().site.restoreSnapshotFile({ id: siteId, snapshotId, path: "a/../../b" }))).fields.path).toMatch(/"\.\." is not allowed/);
    expect(await expectFailure(asA().site.restoreSnapshotFile({ id: siteId, snapshotId, path: "public/added.txt" }))).toMatchObject({ code: "NOT_FOUND", fields: { path: expect.stringMatching(/not in snapshot/) } });
    expect((await expectFailure(callerFor(world.users.customerB).site.restoreSnapshotFile({ id: siteId, snapshotId, path: "public/index.php" }))).code).toBe("NOT_FOUND");
    expect(await written()).toEqual(before);
  });

  it("waits for a running rollback", async () => {
    const c = tenantCustomer(world, "A");
    const op = await db.operation.create({ data: { kind: "site.rollback", targetType: "Site", targetId: siteId, status: "RUNNING", resellerId: c.customer.resellerId, customerId: c.customer.id }, select: { id: true } });
    try {
      expect((await expectFailure(asA().site.restoreSnapshotFile({ id: siteId, snapshotId, path: "public/index.php" }))).code).toBe("CONFLICT");
    } finally {
      await db.operation.update({ where: { id: op.id }, data: { status: "SUCCEEDED" } });
    }
  });
});

describe("no control worker answering", () => {
  it("is a clear error, and the question is withdrawn rather than left for a later worker", async () => {
    const before = await written();
    await reads.stop();
    try {
      for (const call of [
        () => asA().site.browseSnapshot({ id: siteId, snapshotId, path: "public" }),
        () => asA().site.previewRollback({ id: siteId, snapshotId }),
        () => asA().site.restoreSnapshotFile({ id: siteId, snapshotId, path: "public/index.php" }),
      ]) {
        const started = Date.now();
        const error = await call().then(
          () => null,
          (e: unknown) => e as { code?: string; message?: string },
        );
        expect(error).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringMatching(/^No control worker answered within 2 s/) });
        expect(Date.now() - started).toBeLessThan(10_000);
      }
      expect(await written()).toEqual(before);
      const connection = createRedisConnection(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { forWorker: false });
      const queue = new Queue(QUEUES.nodeRead, { connection, prefix: process.env.SHOAL_QUEUE_PREFIX! });
      try {
        expect(await queue.getJobCounts("waiting", "active")).toEqual({ waiting: 0, active: 0 });
      } finally {
        await queue.close();
        connection.disconnect();
      }
    } finally {
      reads = await startNodeReads();
    }
    // A worker again: answered as before.
    expect(await asA().site.browseSnapshot({ id: siteId, snapshotId, path: "" })).toMatchObject({ type: "dir" });
  });
});
