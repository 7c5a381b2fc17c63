import { createHash, randomBytes } from "node:crypto";
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge, stopNode } from "../../../worker/agent/converge";
import { startMariadb, stopMariadb, withAdmin } from "../../../worker/agent/drivers/mariadb";
import { ensureNodeLayout, nodeRoot, type NodeRoot } from "../../../worker/agent/node-root";
import { runCommand } from "../../../worker/agent/run-command";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { siteStorage, StorageError, type SiteStorage } from "../../../worker/agent/storage/site-storage";
import { backendGet, uniqueUsername } from "./node-harness";
import { signedHeaders, unsignedPayload } from "../../../server/contract/agent-signature";
import { agentUrl, controlTransport } from "../../../server/contract/agent-transport";
import { testNodeTls } from "../../helpers/cluster-tls";

// The storage contract, run against each driver (storage-dir.test.ts, storage-btrfs.test.ts) on a
// real node: its own MariaDB, nginx and php-fpm, a WordPress site, and a second node root that
// receives the snapshots. Rollback must give back exact bytes and rows, and undo must give back
// the later state.

export type StorageTestOptions = {
  storage: "btrfs" | "dir";
  address: string;
  peerAddress: string;
  httpPort: number;
  mysqlPort: number;
  /** The two agents' API ports (on address and peerAddress). */
  agentPort: number;
  /** Called for each node root before its layout is made (the btrfs suite mounts an image). */
  prepareRoot?: (root: string) => Promise<void>;
  /** Called after a node root is torn down (unmount). */
  releaseRoot?: (root: string) => Promise<void>;
};

/** Every entry under `dir` with type, owner, mode and content hash: equal maps mean equal trees. */
export async function treeFingerprint(dir: string, skip: (rel: string) => boolean = () => false): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    const full = rel === "" ? dir : path.join(dir, rel);
    const s = await lstat(full);
    const meta = `${s.uid}:${s.gid}:${(s.mode & 0o7777).toString(8)}`;
    if (s.isDirectory()) {
      out[rel || "."] = `dir ${meta}`;
      for (const name of (await readdir(full)).sort()) {
        const child = rel === "" ? name : `${rel}/${name}`;
        if (!skip(child)) await walk(child);
      }
    } else if (s.isSymbolicLink()) out[rel] = `link ${s.uid}:${s.gid} -> ${await readlink(full)}`;
    else out[rel] = `file ${meta} ${createHash("sha256").update(await readFile(full)).digest("hex")}`;
  }
  await walk("");
  return out;
}

const stamp = (n: number) => `20261201T2000${String(n).padStart(2, "0")}Z`;

export function storageSuite(options: StorageTestOptions): void {
  const username = uniqueUsername(options.storage === "btrfs" ? "sb" : "sd");
  const dbName = `${username}_wp`;
  const host = `blog-${options.storage}.storage.test`;
  const siteId = "site1";
  let base: string;
  let node: NodeRoot;
  let peer: NodeRoot;
  let storage: SiteStorage;
  let peerStorage: SiteStorage;
  let siteDir: string;

  const spec = {
    accounts: [{ id: "acc1", username, status: "ACTIVE" }],
    sites: [
      {
        id: siteId,
        accountId: "acc1",
        domains: [host],
        documentRoot: "public",
        phpSettings: {},
        status: "ACTIVE",
        app: {
          kind: "wordpress",
          title: "Before The Rollback",
          url: `http://${host}/`,
          adminUser: "admin",
          adminEmail: "admin@storage.test",
          adminPassword: "admin-password-for-tests-0001",
          database: { name: dbName, user: dbName, password: "wordpress-db-password-123" },
        },
      },
    ],
    databases: [{ id: "db1", accountId: "acc1", name: dbName, users: [{ username: dbName, password: "wordpress-db-password-123" }] }],
  };

  const query = <T = Record<string, unknown>[]>(sql: string, values: unknown[] = []) =>
    withAdmin(node, (conn) => conn.query<T>({ sql: `/* ${dbName} */ ${sql}` }, values));
  const rows = async () => ({
    tables: (await query<{ t: string }[]>(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1`, [dbName])).map((r) => r.t),
    notes: await query(`SELECT id, body FROM \`${dbName}\`.notes ORDER BY id`).catch(() => null),
    blogname: (await query<{ v: string }[]>(`SELECT option_value AS v FROM \`${dbName}\`.wp_options WHERE option_name = 'blogname'`))[0]?.v,
  });
  const liveFiles = () => treeFingerprint(siteDir);
  const asAccount = async (file: string) => {
    const s = await lstat(path.join(siteDir, "public"));
    await chown(file, s.uid, s.gid);
  };

  beforeAll(async () => {
    base = await mkdtemp(`/var/tmp/shoal-storage-${options.storage}-`);
    await chmod(base, 0o755);
    const make = async (address: string, name: string) => {
      const root = path.join(base, name);
      await mkdir(root, { recursive: true });
      await options.prepareRoot?.(root);
      return nodeRoot({ root, address, httpPort: options.httpPort, mysqlPort: options.mysqlPort, storage: options.storage });
    };
    node = await make(options.address, "a");
    peer = await make(options.peerAddress, "b");
    await ensureNodeLayout(peer);
    const results = await converge(node, spec);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    storage = siteStorage(node);
    peerStorage = siteStorage(peer);
    siteDir = node.siteDir(username, siteId);
    await query(`CREATE TABLE \`${dbName}\`.notes (id INT PRIMARY KEY, body VARCHAR(100)) ENGINE=InnoDB`);
  }, 60_000);

  afterAll(async () => {
    try {
      if (node) await converge(node, { accounts: [], sites: [], databases: [] }).catch(() => undefined);
      if (node) await stopNode(node).catch(() => undefined);
    } finally {
      for (const line of (await readFile("/etc/passwd", "utf8")).split("\n")) {
        const [name] = line.split(":");
        if (name === username) await runCommand("/usr/sbin/userdel", [name]).catch(() => {});
      }
      for (const root of [path.join(base, "a"), path.join(base, "b")]) await options.releaseRoot?.(root);
      await rm(base, { recursive: true, force: true });
    }
  }, 60_000);

  // Real WordPress installs, dumps, copies and streams of a 55 MB site, sharing two cores with the
  // rest of the integration tier: the default 30 s per test is a budget this suite outgrew when
  // the tier did (a dir-driver snapshot alone took 3-5 s in the full run). No assertion depends on it.
  describe(`${options.storage} storage`, { timeout: 90_000 }, () => {
    it("makes the site a volume of the driver's kind, its customer part and platform part side by side", async () => {
      expect(storage.kind).toBe(options.storage);
      const volume = await lstat(node.siteVolumeDir(username, siteId));
      expect([volume.uid, volume.mode & 0o7777]).toEqual([0, 0o711]);
      const s = await lstat(siteDir);
      expect(s.isDirectory()).toBe(true);
      expect(s.mode & 0o7777).toBe(0o2750);
      expect(path.dirname(siteDir)).toBe(node.siteVolumeDir(username, siteId));
      const meta = await lstat(path.join(node.siteVolumeDir(username, siteId), "meta"));
      expect([meta.uid, meta.mode & 0o7777]).toEqual([0, 0o700]);
      expect((await readdir(node.siteVolumeDir(username, siteId))).sort()).toEqual(["files", "meta"]);
      if (options.storage === "btrfs") {
        // A subvolume's root directory has inode 256 on btrfs.
        expect(volume.ino).toBe(256);
        expect(siteDir.startsWith(`${node.storeDir}/`)).toBe(true);
      }
    });

    it("rolls files and rows back exactly, and the rollback can be undone", async () => {
      await query(`INSERT INTO \`${dbName}\`.notes VALUES (1, 'one'), (2, 'two'), (3, 'three')`);
      await writeFile(path.join(siteDir, "public/keep.txt"), "version 1\n");
      await writeFile(path.join(siteDir, "public/gone.bin"), randomBytes(200_000));
      for (const f of ["public/keep.txt", "public/gone.bin"]) await asAccount(path.join(siteDir, f));
      const before = { files: await liveFiles(), rows: await rows() };
      expect((await backendGet(node, host, "/")).body).toContain("Before The Rollback");

      const first = await storage.createSnapshot(siteId, `s-${stamp(1)}`, { databases: [dbName] });
      expect(first).toMatchObject({ name: `s-${stamp(1)}`, databases: [dbName] });
      expect(first.sizeBytes).toBeGreaterThan(200_000);
      console.log(`[${options.storage}] snapshot of a WordPress site: dump ${first.timingsMs.dump} ms, snapshot ${first.timingsMs.snapshot} ms, ${first.sizeBytes} bytes`);
      // The dump is root's, in the volume's platform part (not the customer's tree), and not served.
      const dumpDir = await lstat(path.join(node.siteVolumeDir(username, siteId), "meta/db"));
      expect([dumpDir.uid, dumpDir.mode & 0o777]).toEqual([0, 0o700]);
      expect(await readdir(siteDir)).toEqual(["public"]);
      expect((await backendGet(node, host, "/../../meta/db/snapshot.json")).status).not.toBe(200);

      await writeFile(path.join(siteDir, "public/keep.txt"), "version 2, longer\n");
      await unlink(path.join(siteDir, "public/gone.bin"));
      await writeFile(path.join(siteDir, "public/new.txt"), "added later\n");
      await asAccount(path.join(siteDir, "public/new.txt"));
      await query(`UPDATE \`${dbName}\`.notes SET body = 'ONE' WHERE id = 1`);
      await query(`INSERT INTO \`${dbName}\`.notes VALUES (4, 'four')`);
      await query(`CREATE TABLE \`${dbName}\`.extra (id INT PRIMARY KEY)`);
      await query(`UPDATE \`${dbName}\`.wp_options SET option_value = 'After The Change' WHERE option_name = 'blogname'`);
      const after = { files: await liveFiles(), rows: await rows() };
      expect(after.rows.tables).toContain("extra");
      expect((await backendGet(node, host, "/")).body).toContain("After The Change");

      const rollback = await storage.restoreSnapshot(siteId, `s-${stamp(1)}`, { keepCurrentAs: `pre-${stamp(2)}`, databases: [dbName] });
      console.log(`[${options.storage}] rollback of a WordPress site: ${JSON.stringify(rollback.timingsMs)}`);
      expect(rollback.kept.name).toBe(`pre-${stamp(2)}`);
      expect(await rows()).toEqual(before.rows);
      const restoredFiles = await liveFiles();
      // The customer's tree only: the dumps are in the volume's platform part.
      expect(restoredFiles).toEqual(before.files);
      expect((await backendGet(node, host, "/")).body).toContain("Before The Rollback");

      const undo = await storage.restoreSnapshot(siteId, `pre-${stamp(2)}`, { keepCurrentAs: `pre-${stamp(3)}` });
      expect(undo.restored.databases).toEqual([dbName]);
      expect(await rows()).toEqual(after.rows);
      expect(await liveFiles()).toEqual(after.files);
      expect((await backendGet(node, host, "/")).body).toContain("After The Change");

      expect((await storage.listSnapshots(siteId)).map((s) => s.name)).toEqual([`s-${stamp(1)}`, `pre-${stamp(2)}`, `pre-${stamp(3)}`]);
      await expect(storage.createSnapshot(siteId, `s-${stamp(1)}`)).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
      await expect(storage.restoreSnapshot(siteId, `s-${stamp(9)}`, { keepCurrentAs: `pre-${stamp(8)}` })).rejects.toMatchObject({ code: "NOT_FOUND" });
      await storage.deleteSnapshot(siteId, `pre-${stamp(3)}`);
      expect((await storage.listSnapshots(siteId)).map((s) => s.name)).toEqual([`s-${stamp(1)}`, `pre-${stamp(2)}`]);
    });

    it("browses a snapshot and restores one file, refusing paths that climb out or follow symlinks", async () => {
      await symlink("/etc", path.join(siteDir, "public/etc-link"));
      await mkdir(path.join(siteDir, "public/deep/er"), { recursive: true });
      await writeFile(path.join(siteDir, "public/deep/er/file.txt"), "deep content\n");
      const snap = `s-${stamp(10)}`;
      await storage.createSnapshot(siteId, snap);

      const top = await storage.readSnapshotFile(siteId, snap, "");
      expect(top.type).toBe("dir");
      // The customer's tree only: nothing of the platform's part is listed.
      if (top.type === "dir") expect(top.entries.map((e) => e.name)).toEqual(["public"]);
      await expect(storage.readSnapshotFile(siteId, snap, "meta")).rejects.toMatchObject({ code: "NOT_FOUND" });
      const link = await storage.readSnapshotFile(siteId, snap, "public/etc-link");
      expect(link).toEqual({ type: "symlink", target: "/etc" });
      const file = await storage.readSnapshotFile(siteId, snap, "public/deep/er/file.txt");
      expect(file.type).toBe("file");
      if (file.type === "file") {
        const chunks: Buffer[] = [];
        for await (const c of file.open()) chunks.push(c as Buffer);
        expect(Buffer.concat(chunks).toString()).toBe("deep content\n");
      }
      for (const bad of ["../a", "/etc/passwd", "public/../../x", "public//x", "public/./x"]) {
        await expect(storage.readSnapshotFile(siteId, snap, bad), bad).rejects.toMatchObject({ code: "INVALID" });
      }
      await expect(storage.readSnapshotFile(siteId, snap, "public/etc-link/passwd")).rejects.toMatchObject({ code: "INVALID" });
      await expect(storage.restoreFile(siteId, snap, "public/etc-link")).rejects.toMatchObject({ code: "INVALID" });
      await expect(storage.readSnapshotFile(siteId, snap, "public/missing")).rejects.toBeInstanceOf(StorageError);

      // Changed, then deleted with its directory: the file comes back, its directories too.
      await writeFile(path.join(siteDir, "public/keep.txt"), "changed again\n");
      const keepBefore = (await lstat(path.join(siteDir, "public/keep.txt"))).uid;
      await storage.restoreFile(siteId, `s-${stamp(1)}`, "public/keep.txt");
      expect(await readFile(path.join(siteDir, "public/keep.txt"), "utf8")).toBe("version 1\n");
      expect((await lstat(path.join(siteDir, "public/keep.txt"))).uid).toBe(keepBefore);
      await rm(path.join(siteDir, "public/deep"), { recursive: true });
      await storage.restoreFile(siteId, snap, "public/deep/er/file.txt");
      expect(await readFile(path.join(siteDir, "public/deep/er/file.txt"), "utf8")).toBe("deep content\n");

      // A symlink the account put where the snapshot has a directory is never written through.
      await rm(path.join(siteDir, "public/deep"), { recursive: true });
      const outside = path.join(base, "outside");
      await mkdir(outside, { recursive: true });
      await symlink(outside, path.join(siteDir, "public/deep"));
      await expect(storage.restoreFile(siteId, snap, "public/deep/er/file.txt")).rejects.toMatchObject({ code: "CONFLICT" });
      expect(await readdir(outside)).toEqual([]);
      await unlink(path.join(siteDir, "public/deep"));
      await unlink(path.join(siteDir, "public/etc-link"));
    });

    it("sends a snapshot to another node in full, then incrementally (stream about the size of the delta)", async () => {
      const big = path.join(siteDir, "public/big");
      await mkdir(big);
      for (let i = 0; i < 20; i++) await writeFile(path.join(big, `part${i}.bin`), randomBytes(1024 * 1024));
      const s1 = `s-${stamp(20)}`;
      const s2 = `s-${stamp(21)}`;
      await storage.createSnapshot(siteId, s1, { databases: [dbName] });
      const collect = async (stream: Readable) => {
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      };
      const full = await collect(await storage.sendSnapshot(siteId, s1));
      expect(full.length).toBeGreaterThan(20 * 1024 * 1024);
      const got = await peerStorage.receiveSnapshot(siteId, Readable.from([full]), { name: s1, maxBytes: 1 << 30 });
      expect(got).toMatchObject({ name: s1, databases: [dbName] });
      const snapOf = (n: NodeRoot, name: string) => path.join(n.snapshotsDir, siteId, name);
      expect(await treeFingerprint(snapOf(peer, s1))).toEqual(await treeFingerprint(snapOf(node, s1)));

      await writeFile(path.join(big, "part7.bin"), randomBytes(1024 * 1024));
      await unlink(path.join(big, "part8.bin"));
      await storage.createSnapshot(siteId, s2, { databases: [dbName] });
      const started = Date.now();
      const delta = await collect(await storage.sendSnapshot(siteId, s2, s1));
      const sendMs = Date.now() - started;
      console.log(`[${options.storage}] incremental stream for a 1 MB change of a 20 MB site: ${delta.length} bytes in ${sendMs} ms (full: ${full.length})`);
      expect(delta.length).toBeGreaterThan(1024 * 1024);
      expect(delta.length).toBeLessThan(2 * 1024 * 1024);
      // A damaged stream is refused and leaves nothing behind.
      await expect(peerStorage.receiveSnapshot(siteId, Readable.from([delta.subarray(0, delta.length - 100)]), { name: s2, maxBytes: 1 << 30 })).rejects.toMatchObject({ code: "INVALID" });
      expect((await peerStorage.listSnapshots(siteId)).map((s) => s.name)).toEqual([s1]);
      await expect(peerStorage.receiveSnapshot(siteId, Readable.from([delta]), { name: s2, maxBytes: 1000 })).rejects.toMatchObject({ code: "INVALID" });
      await peerStorage.receiveSnapshot(siteId, Readable.from([delta]), { name: s2, maxBytes: 1 << 30 });
      expect(await treeFingerprint(snapOf(peer, s2))).toEqual(await treeFingerprint(snapOf(node, s2)));
      await expect(peerStorage.receiveSnapshot(siteId, Readable.from([delta]), { name: s2, maxBytes: 1 << 30 })).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
      await rm(big, { recursive: true });
    });

    it("serves the snapshot API: create, list, browse, restore a file, stream to a peer, roll back, delete", async () => {
      const secret = "storage-test-secret-0123456789abcdef";
      const servers: AgentServer[] = [];
      try {
        servers.push(await startAgentServer({ host: node.address, port: options.agentPort, secret, nodeRoot: node, tls: await testNodeTls(node) }));
        servers.push(await startAgentServer({ host: peer.address, port: options.agentPort, secret, nodeRoot: peer, tls: await testNodeTls(peer) }));
        const url = (n: NodeRoot, p: string) => agentUrl({ address: n.address, port: options.agentPort }, p);
        // Over TLS with the control plane's certificate (server/contract/agent-transport.ts).
        const agentFetch = controlTransport().fetch;
        // Each call signed as the control plane signs it (server/contract/agent-signature.ts).
        const auth = (method: string, p: string, body?: string) => signedHeaders(secret, method, p, body);
        const post = (n: NodeRoot, p: string, body: unknown) =>
          agentFetch(url(n, p), { method: "POST", headers: { ...auth("POST", p, JSON.stringify(body)), "content-type": "application/json" }, body: JSON.stringify(body) });
        const get = (n: NodeRoot, p: string) => agentFetch(url(n, p), { headers: auth("GET", p) });
        const name = `s-${stamp(40)}`;

        expect((await agentFetch(url(node, `/v1/sites/${siteId}/snapshots`))).status).toBe(401);
        const made = await post(node, `/v1/sites/${siteId}/snapshots`, { name, databases: [dbName] });
        expect(made.status).toBe(201);
        expect(await made.json()).toMatchObject({ name, databases: [dbName] });
        expect((await post(node, `/v1/sites/${siteId}/snapshots`, { name, databases: [] })).status).toBe(409);
        const bad = await post(node, `/v1/sites/${siteId}/snapshots`, { name: "../../etc", databases: [] });
        expect(bad.status).toBe(422);
        expect((await post(node, `/v1/sites/${siteId}/snapshots`, { name: `s-${stamp(41)}`, databases: ["mysql"] })).status).toBe(422);
        // reuseIfUnchanged is a snapshot name like any other: a path in it is refused, nothing made.
        const badReuse = await post(node, `/v1/sites/${siteId}/snapshots`, { name: `s-${stamp(41)}`, databases: [], reuseIfUnchanged: "../../etc" });
        expect(badReuse.status).toBe(422);
        expect(JSON.stringify(await badReuse.json())).toContain("reuseIfUnchanged");
        expect((await storage.listSnapshots(siteId)).map((x) => x.name)).not.toContain(`s-${stamp(41)}`);
        expect((await post(node, `/v1/sites/nosuchsite/snapshots`, { name: `s-${stamp(41)}`, databases: [] })).status).toBe(404);
        expect((await get(node, `/v1/sites/BAD..ID/snapshots`)).status).toBe(422);
        const listed = (await (await get(node, `/v1/sites/${siteId}/snapshots`)).json()) as { storage: string; snapshots: { name: string }[] };
        expect(listed.storage).toBe(options.storage);
        expect(listed.snapshots.map((s) => s.name)).toContain(name);

        const listing = await get(node, `/v1/sites/${siteId}/snapshots/${name}/files?path=public`);
        expect(((await listing.json()) as { type: string }).type).toBe("dir");
        const bytes = await get(node, `/v1/sites/${siteId}/snapshots/${name}/files?path=public/keep.txt`);
        expect(bytes.headers.get("content-type")).toBe("application/octet-stream");
        const keep = await bytes.text();
        expect((await get(node, `/v1/sites/${siteId}/snapshots/${name}/files?path=${encodeURIComponent("public/../../..")}`)).status).toBe(422);
        await writeFile(path.join(siteDir, "public/keep.txt"), "overwritten\n");
        expect((await post(node, `/v1/sites/${siteId}/restore-file`, { name, path: "public/keep.txt" })).status).toBe(200);
        expect(await readFile(path.join(siteDir, "public/keep.txt"), "utf8")).toBe(keep);

        const stream = await get(node, `/v1/sites/${siteId}/snapshots/${name}/stream`);
        expect(stream.headers.get("x-shoal-storage")).toBe(options.storage);
        const wrongKind = await agentFetch(url(peer, `/v1/sites/${siteId}/snapshots/${name}/stream`), {
          method: "PUT",
          headers: { ...auth("PUT", `/v1/sites/${siteId}/snapshots/${name}/stream`, "x"), "content-type": "application/octet-stream", "x-shoal-storage": options.storage === "dir" ? "btrfs" : "dir" },
          body: "x",
        });
        expect(wrongKind.status).toBe(422);
        const received = await agentFetch(url(peer, `/v1/sites/${siteId}/snapshots/${name}/stream`), {
          method: "PUT",
          headers: { ...auth("PUT", `/v1/sites/${siteId}/snapshots/${name}/stream`, unsignedPayload), "content-type": "application/octet-stream", "x-shoal-storage": stream.headers.get("x-shoal-storage")! },
          body: stream.body,
          duplex: "half",
        });
        expect(received.status).toBe(201);
        expect(await treeFingerprint(path.join(peer.snapshotsDir, siteId, name))).toEqual(await treeFingerprint(path.join(node.snapshotsDir, siteId, name)));

        await query(`INSERT INTO \`${dbName}\`.notes VALUES (99, 'after the API snapshot')`);
        const restored = await post(node, `/v1/sites/${siteId}/restore`, { name, keepCurrentAs: `pre-${stamp(42)}`, databases: [dbName] });
        expect(restored.status).toBe(200);
        expect(((await rows()).notes as { id: number }[]).map((r) => r.id)).not.toContain(99);
        expect((await agentFetch(url(node, `/v1/sites/${siteId}/snapshots/pre-${stamp(42)}`), { method: "DELETE", headers: auth("DELETE", `/v1/sites/${siteId}/snapshots/pre-${stamp(42)}`) })).status).toBe(200);
        expect((await agentFetch(url(node, `/v1/sites/${siteId}/snapshots/pre-${stamp(42)}`), { method: "DELETE", headers: auth("DELETE", `/v1/sites/${siteId}/snapshots/pre-${stamp(42)}`) })).status).toBe(404);
      } finally {
        for (const server of servers) await server.close();
      }
    });

    it("keeps a dump no binlog event has touched since the last snapshot, and dumps again after a row or a DDL change to it", async () => {
      const name = (n: number) => `bl-${stamp(n)}`;
      const dumpOf = (n: number) => readFile(path.join(node.snapshotsDir, siteId, name(n), "meta/db", `${dbName}.sql`), "utf8");
      // Another database on the node, written between the snapshots: not this site's change.
      const other = `${username}_other`;
      await query(`CREATE DATABASE \`${other}\``);
      await query(`CREATE TABLE \`${other}\`.t (id INT PRIMARY KEY) ENGINE=InnoDB`);
      try {
        // The first one after the earlier tests' restores dumps (the restores wrote the database).
        expect((await storage.createSnapshot(siteId, name(70), { databases: [dbName] })).keptDumps).toEqual([]);
        await query(`INSERT INTO \`${other}\`.t VALUES (1)`);
        const kept = await storage.createSnapshot(siteId, name(71), { databases: [dbName] });
        expect(kept.keptDumps).toEqual([dbName]);
        console.log(`[${options.storage}] snapshot of an unchanged WordPress database: dump step ${kept.timingsMs.dump} ms`);
        expect(await dumpOf(71)).toBe(await dumpOf(70));

        await query(`INSERT INTO \`${dbName}\`.notes VALUES (71, 'written between snapshots')`);
        const afterRow = await storage.createSnapshot(siteId, name(72), { databases: [dbName] });
        expect(afterRow.keptDumps).toEqual([]);
        expect(await dumpOf(72)).toContain("written between snapshots");

        expect((await storage.createSnapshot(siteId, name(73), { databases: [dbName] })).keptDumps).toEqual([dbName]);
        await query(`ALTER TABLE \`${dbName}\`.notes ADD COLUMN added_later INT`);
        expect((await storage.createSnapshot(siteId, name(74), { databases: [dbName] })).keptDumps).toEqual([]);
        expect(await dumpOf(74)).toContain("added_later");

        // A restart of the node's MariaDB ends its binlog file without a Rotate: nothing is
        // known of what ran in between, so the next snapshot dumps.
        expect((await storage.createSnapshot(siteId, name(75), { databases: [dbName] })).keptDumps).toEqual([dbName]);
        await stopMariadb(node);
        await startMariadb(node);
        expect((await storage.createSnapshot(siteId, name(76), { databases: [dbName] })).keptDumps).toEqual([]);
        expect((await storage.createSnapshot(siteId, name(77), { databases: [dbName] })).keptDumps).toEqual([dbName]);
      } finally {
        await query(`DROP DATABASE IF EXISTS \`${other}\``);
        await query(`ALTER TABLE \`${dbName}\`.notes DROP COLUMN IF EXISTS added_later`);
        await query(`DELETE FROM \`${dbName}\`.notes WHERE id = 71`);
        for (const n of [70, 71, 72, 73, 74, 75, 76, 77]) await storage.deleteSnapshot(siteId, name(n)).catch(() => undefined);
      }
    });

    it("answers the newest snapshot instead of taking one when nothing changed since it (btrfs), and takes one after a file or a row changed", async () => {
      const name = (n: number) => `ru-${stamp(n)}`;
      const reuses = options.storage === "btrfs";
      const newest = async () => (await storage.listSnapshots(siteId)).at(-1)!.name;
      try {
        await storage.createSnapshot(siteId, name(80), { databases: [dbName] });
        const again = await storage.createSnapshot(siteId, name(81), { databases: [dbName], reuseIfUnchanged: name(80) });
        if (reuses) {
          expect(again).toMatchObject({ name: name(80), reused: true, keptDumps: [dbName] });
          console.log(`[btrfs] unchanged since the newest snapshot: files checked in ${again.timingsMs.snapshot} ms, databases in ${again.timingsMs.dump} ms`);
        } else expect(again).toMatchObject({ name: name(81) });
        expect(again.reused ?? false).toBe(reuses);

        await writeFile(path.join(siteDir, "public/reuse.txt"), "changed after the snapshot\n");
        await asAccount(path.join(siteDir, "public/reuse.txt"));
        const afterFile = await storage.createSnapshot(siteId, name(82), { databases: [dbName], reuseIfUnchanged: await newest() });
        expect(afterFile).toMatchObject({ name: name(82) });
        expect(afterFile.reused).toBeUndefined();

        // Only the newest snapshot can stand for the site: an older name is never answered.
        expect((await storage.createSnapshot(siteId, name(83), { databases: [dbName], reuseIfUnchanged: name(80) })).name).toBe(name(83));
        expect((await storage.createSnapshot(siteId, name(84), { databases: [dbName], reuseIfUnchanged: name(83) })).name).toBe(reuses ? name(83) : name(84));

        await query(`INSERT INTO \`${dbName}\`.notes VALUES (84, 'a row after the snapshot')`);
        const afterRow = await storage.createSnapshot(siteId, name(85), { databases: [dbName], reuseIfUnchanged: await newest() });
        expect(afterRow).toMatchObject({ name: name(85), keptDumps: [] });
        expect(afterRow.reused).toBeUndefined();
      } finally {
        await query(`DELETE FROM \`${dbName}\`.notes WHERE id = 84`);
        await unlink(path.join(siteDir, "public/reuse.txt")).catch(() => undefined);
        for (const n of [80, 81, 82, 83, 84, 85]) await storage.deleteSnapshot(siteId, name(n)).catch(() => undefined);
      }
    });

    it("removes the site volume with its snapshots", async () => {
      const other = "site2";
      const sitesDir = path.dirname(node.siteVolumeDir(username, siteId));
      await storage.ensureSiteVolume({ username, siteId: other });
      await writeFile(path.join(sitesDir, other, "files/x.txt"), "x");
      await storage.createSnapshot(other, `s-${stamp(30)}`);
      await storage.removeSiteVolume({ username, siteId: other });
      expect(await lstat(path.join(sitesDir, other)).catch(() => null)).toBeNull();
      expect(await lstat(path.join(node.snapshotsDir, other)).catch(() => null)).toBeNull();
      expect(await readdir(node.storageStagingDir)).toEqual([]);
    });
  });
}
