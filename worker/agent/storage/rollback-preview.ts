import { createReadStream } from "node:fs";
import { lstat, readdir, readlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { mariadbPid } from "../drivers/mariadb";
import type { NodeRoot } from "../node-root";
import { databaseExists, dumpArgs, dumpFileIn, MissingDumpError } from "./db-dumps";
import { filesDirName, isLegacyPlatformName, snapshotTreeRoot } from "./volume-layout";
import { databaseNameSchema, siteIdSchema, snapshotNameSchema } from "../../../server/contract/storage-names";
import { errno, fdPath, openDirAt, openDirChecked } from "./safe-fs";
import { StorageError, type SiteStorage } from "./site-storage";
import { startTool } from "./spawn-tool";
import { DumpScanner, diffDumps, diffTrees, type DatabaseDiff, type FileFacts, type FilesDiff } from "./snapshot-diff";
import { walkTree } from "./tree";

// A rollback preview: what putting the site back to snapshot `name` would change, without
// changing anything. Files are compared by metadata (snapshot-diff.ts); each database by a fresh
// dump of the live one (the same mariadb-dump options as a snapshot's, so unchanged tables are
// byte-identical) against the snapshot's dump. Bounded three ways: entries walked, lines listed,
// and the bytes of a live dump read (past it: sizes only).

export type RollbackPreview = {
  snapshot: { name: string; takenAt: string };
  files: FilesDiff & { complete: boolean };
  databases: DatabaseDiff[];
  timingsMs: { files: number; databases: number };
};

export type PreviewLimits = { listed: number; walked: number; dumpBytes: number };
export const defaultPreviewLimits: PreviewLimits = { listed: 200, walked: 200_000, dumpBytes: 256 * 1024 ** 2 };

class WalkLimit extends Error {}

type AnyStats = { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean; size: number | bigint; mtimeMs: number | bigint; mode: number | bigint; mtimeNs?: bigint };

function facts(s: AnyStats, target?: string): FileFacts | null {
  const type = s.isDirectory() ? "dir" : s.isFile() ? "file" : s.isSymbolicLink() ? "symlink" : null;
  if (!type) return null;
  // BigIntStats' mtimeMs is whole milliseconds; the number kind has the fraction: compare like
  // with like, from the nanoseconds where there are some.
  const mtimeMs = s.mtimeNs !== undefined ? Number(s.mtimeNs) / 1e6 : Number(s.mtimeMs);
  return { type, sizeBytes: Number(s.size), mtimeMs, mode: Number(s.mode) & 0o7777, ...(target !== undefined ? { target } : {}) };
}

/** The customer's tree in the snapshot (it never changes: walked by path), without the platform's part. */
async function snapshotTree(snapshotDir: string, max: number): Promise<Map<string, FileFacts>> {
  const tree = new Map<string, FileFacts>();
  const { dir, hidden } = await snapshotTreeRoot(snapshotDir);
  for await (const e of walkTree(dir)) {
    if (e.path === "" || hidden(e.path.split("/")[0]!)) continue;
    if (tree.size >= max) throw new WalkLimit();
    const f = facts(e.stat, e.target);
    if (f) tree.set(e.path, f);
  }
  return tree;
}

/**
 * The live tree, which the account can change while we look: every directory is opened through
 * its parent's descriptor without following symlinks (safe-fs.ts), so a symlink swapped in for a
 * directory is reported as a symlink and never walked into.
 */
async function liveTree(site: FileHandle, max: number, hidden: (topName: string) => boolean): Promise<Map<string, FileFacts>> {
  const tree = new Map<string, FileFacts>();
  async function walk(dir: FileHandle, rel: string): Promise<void> {
    const names = (await readdir(fdPath(dir)).catch(() => [] as string[])).sort();
    for (const name of names) {
      const p = rel === "" ? name : `${rel}/${name}`;
      if (rel === "" && hidden(name)) continue;
      const s = await lstat(fdPath(dir, name)).catch(() => null);
      if (!s) continue; // gone meanwhile
      const target = s.isSymbolicLink() ? await readlink(fdPath(dir, name)).catch(() => "") : undefined;
      const f = facts(s, target);
      if (!f) continue;
      if (tree.size >= max) throw new WalkLimit();
      tree.set(p, f);
      if (f.type !== "dir") continue;
      const child = await openDirAt(dir, name).catch((e: unknown) => {
        if (["ENOENT", "ELOOP", "ENOTDIR"].includes(errno(e) ?? "")) return null;
        throw e;
      });
      if (!child) continue;
      try {
        await walk(child, p);
      } finally {
        await child.close();
      }
    }
  }
  await walk(site, "");
  return tree;
}

/**
 * The live customer's tree: the volume's files/ (a volume not converged yet to that layout: its
 * root, less the platform's names there).
 */
async function openLiveTree(sites: FileHandle, siteId: string): Promise<{ handle: FileHandle; hidden: (topName: string) => boolean }> {
  const volume = await openDirAt(sites, siteId);
  if ((await volume.stat()).uid !== 0) return { handle: volume, hidden: isLegacyPlatformName };
  try {
    return { handle: await openDirAt(volume, filesDirName), hidden: () => false };
  } finally {
    await volume.close();
  }
}

/** Scans a dump stream; null when it is longer than `maxBytes` (the caller reports sizes only). */
async function scanDump(stream: Readable, maxBytes: number): Promise<Map<string, import("./snapshot-diff").DumpTable> | null> {
  const scanner = new DumpScanner();
  let bytes = 0;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) {
    bytes += Buffer.byteLength(line) + 1;
    if (bytes > maxBytes) {
      lines.close();
      stream.destroy();
      return null;
    }
    scanner.push(line);
  }
  return scanner.end();
}


async function databaseDiff(node: NodeRoot, snapshotDir: string, db: string, limits: PreviewLimits, live: boolean): Promise<DatabaseDiff> {
  let file: string | null = null;
  try {
    file = await dumpFileIn(snapshotDir, db);
  } catch (e) {
    if (!(e instanceof MissingDumpError)) throw e;
  }
  const empty = { tablesTotal: 0, tables: [], truncated: false };
  if (!file) return { name: db, status: "not-in-snapshot", snapshotBytes: null, liveBytes: null, ...empty };
  const snapshotBytes = (await lstat(file)).size;
  if (!live) return { name: db, status: "not-live", snapshotBytes, liveBytes: null, ...empty };
  if (snapshotBytes > limits.dumpBytes) return { name: db, status: "too-large", snapshotBytes, liveBytes: null, ...empty };
  const fromSnapshot = (await scanDump(createReadStream(file), limits.dumpBytes))!;
  const dump = startTool("/usr/bin/mariadb-dump", dumpArgs(node, db), { timeoutMs: 120_000 });
  const fromLive = await scanDump(dump.stdout!, limits.dumpBytes);
  if (!fromLive) {
    dump.child.kill("SIGKILL");
    return { name: db, status: "too-large", snapshotBytes, liveBytes: null, ...empty };
  }
  await dump.done;
  return diffDumps(db, fromSnapshot, fromLive, limits.listed);
}

/**
 * What restoring snapshot `name` of site `siteId` would change. `databases`: the site's databases
 * now (the control plane's list); the snapshot's own are compared too.
 */
export async function previewRollback(
  node: NodeRoot,
  storage: SiteStorage,
  siteId: string,
  name: string,
  options: { databases?: string[]; limits?: Partial<PreviewLimits> } = {},
): Promise<RollbackPreview> {
  siteIdSchema.parse(siteId);
  snapshotNameSchema.parse(name);
  const limits = { ...defaultPreviewLimits, ...options.limits };
  const meta = (await storage.listSnapshots(siteId)).find((s) => s.name === name);
  if (!meta) throw new StorageError("NOT_FOUND", `Site ${siteId} has no snapshot ${name}.`);
  const snapshotDir = path.join(node.snapshotsDir, siteId, name);

  const started = Date.now();
  const usernames = [];
  for (const username of await readdir(node.homeDir).catch(() => [] as string[])) {
    if ((await lstat(node.siteVolumeDir(username, siteId)).catch(() => null))?.isDirectory()) usernames.push(username);
  }
  if (usernames.length !== 1) {
    throw new StorageError(usernames.length === 0 ? "NOT_FOUND" : "CONFLICT", usernames.length === 0 ? `Site ${siteId} has no live store on this node.` : `Site ${siteId} is stored under several accounts.`);
  }
  const sites = await openDirChecked(path.dirname(node.siteVolumeDir(usernames[0]!, siteId)));
  let files: RollbackPreview["files"];
  try {
    const site = await openLiveTree(sites, siteId);
    try {
      const [before, now] = await Promise.all([snapshotTree(snapshotDir, limits.walked), liveTree(site.handle, limits.walked, site.hidden)]);
      files = { ...diffTrees(before, now, limits.listed), complete: true };
    } catch (e) {
      if (!(e instanceof WalkLimit)) throw e;
      files = { added: 0, removed: 0, changed: 0, unchanged: 0, snapshotBytes: meta.sizeBytes, liveBytes: 0, entries: [], truncated: true, complete: false };
    } finally {
      await site.handle.close();
    }
  } finally {
    await sites.close();
  }
  const filesDone = Date.now();

  const names = [...new Set([...meta.databases, ...(options.databases ?? []).map((d) => databaseNameSchema.parse(d))])].sort();
  const running = names.length > 0 && (await mariadbPid(node)) !== null;
  const databases: DatabaseDiff[] = [];
  for (const db of names) {
    const live = running && (await databaseExists(node, db));
    databases.push(await databaseDiff(node, snapshotDir, db, limits, live));
  }
  return { snapshot: { name, takenAt: meta.takenAt }, files, databases, timingsMs: { files: filesDone - started, databases: Date.now() - filesDone } };
}
