import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { lstat, mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { dropDatabase, ensureDatabase, withAdmin } from "../drivers/mariadb";
import type { NodeRoot } from "../node-root";
import { databaseNameSchema } from "../../../server/contract/storage-names";
import { databasesChangedBetween, isBinlogMark, readBinlogMark, type BinlogMark } from "./binlog-mark";
import { errno, fdPath, openDirAt } from "./safe-fs";
import { startTool } from "./spawn-tool";
import { dumpsDirName, ensurePlatformDir, platformDirName, snapshotDumpDir, verifiedPlatformDir } from "./volume-layout";
import { processLogger } from "../../../server/observability/logger";

// A snapshot holds the site's files and its databases together: just before the snapshot each
// database is dumped into the site volume, in its platform part <volume>/meta/db/
// (volume-layout.ts): next to the customer's tree, never in it, so nginx never serves it and the
// account's PHP never sees it.
//
// The directory and its dumps are root's (0700/0600), in root's 0700 meta/ in the root-owned
// volume root: a restore loads them as MariaDB's root, so the account must never be able to
// write, replace or rename one (a planted dump would be SQL run as root).

export const snapshotInfoFile = "snapshot.json";

/**
 * `username`: the account whose site this is (snapshots taken before it was recorded have none);
 * a promote on another node finds the account by it, since a replica node holds no live volume.
 */
export type SnapshotStamp = {
  format: 1;
  name: string;
  takenAt: string;
  databases: string[];
  username?: string;
  /**
   * SHA-256 of each database's dump (stamps from before have none): a move's target compares
   * two snapshots' databases by these instead of reading both dumps (promoteSnapshot).
   */
  digests?: Record<string, string>;
  /**
   * The node's binlog position from before these dumps were taken (binlog-mark.ts): the next
   * snapshot keeps a dump whose database no event since has touched, instead of dumping it again.
   */
  binlog?: BinlogMark;
};

/** In the dump directory of a live volume that a promote made: which snapshot it is (see promoteSnapshot). */
export const promotedMarkFile = "promoted.json";

const mariadbArgs = (node: NodeRoot) => ["--no-defaults", `--socket=${node.mysqlSocket}`, "--user=root"];

/**
 * mariadb-dump's arguments for one database, for a snapshot's dump and for the rollback
 * preview's dump of the live database alike: the same options give byte-identical dumps of an
 * unchanged table (no date line), which is how the preview tells unchanged tables.
 */
export const dumpArgs = (node: NodeRoot, db: string) => [
  ...mariadbArgs(node),
  "--single-transaction",
  "--routines",
  "--triggers",
  "--hex-blob",
  "--default-character-set=utf8mb4",
  "--skip-dump-date",
  db,
];

/** Opens (creating it if missing) the volume's dump directory, verified root's 0700, through the volume's descriptor. */
async function openDumpDir(site: FileHandle): Promise<FileHandle> {
  const platform = await ensurePlatformDir(site);
  try {
    await mkdir(fdPath(platform, dumpsDirName), { mode: 0o700 }).catch((e: unknown) => {
      if (errno(e) !== "EEXIST") throw e;
    });
    const handle = await openDirAt(platform, dumpsDirName);
    const s = await handle.stat();
    if (s.uid !== 0) {
      await handle.close();
      throw new Error(`The dump directory of the site volume is not root's.`);
    }
    await handle.chown(0, 0);
    await handle.chmod(0o700);
    return handle;
  } finally {
    await platform.close();
  }
}

/** The live volume's dump directory when it is there and root's, else null. */
async function existingDumpDir(site: FileHandle): Promise<FileHandle | null> {
  const platform = await verifiedPlatformDir(site).catch(() => null);
  if (!platform) return null;
  try {
    const dir = await openDirAt(platform, dumpsDirName).catch(() => null);
    if (dir && (await dir.stat()).uid !== 0) {
      await dir.close();
      return null;
    }
    return dir;
  } finally {
    await platform.close();
  }
}

async function fileDigest(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { flags: constants.O_RDONLY | constants.O_NOFOLLOW } as unknown as { flags: string })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Same size and the same bytes (false when either is missing). */
export async function sameBytes(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([lstat(a).catch(() => null), lstat(b).catch(() => null)]);
  if (!sa || !sb || !sb.isFile() || sa.size !== sb.size) return false;
  const [ba, bb] = await Promise.all([readFile(a), readFile(b)]);
  return ba.equals(bb);
}

/**
 * The binlog position now, and which of `databases` changed since the previous stamp's (null:
 * unknown, so all of them). Without a binlog (or on any error) the dumps are simply all taken.
 */
async function changesSince(node: NodeRoot, previous: SnapshotStamp | null, databases: readonly string[]): Promise<{ mark: BinlogMark | null; changed: Set<string> | null }> {
  return withAdmin(node, async (conn) => {
    const mark = await readBinlogMark(conn, node);
    if (!mark || !previous?.binlog) return { mark, changed: null };
    return { mark, changed: await databasesChangedBetween(conn, previous.binlog, mark, databases) };
  }).catch((e: unknown) => {
    processLogger("agent").warn(`Reading the binlog before the dumps: ${e instanceof Error ? e.message : String(e)}`);
    return { mark: null, changed: null };
  });
}

/** The dump `file` in the dump directory, when it is root's regular 0600 file. */
async function ownDump(dir: FileHandle, file: string): Promise<boolean> {
  const s = await lstat(fdPath(dir, file)).catch(() => null);
  return !!s?.isFile() && s.uid === 0 && (s.mode & 0o077) === 0;
}

/**
 * Dumps each database consistently (--single-transaction: one InnoDB read view, no locks held
 * against the site's writers) into the site's dump directory, and writes the snapshot's stamp
 * there. A database that no binlog event has touched since the previous stamp keeps its dump
 * without being read again (binlog-mark.ts); a dump identical to the one already there is left as
 * it was. Either way an unchanged database costs nothing in the next incremental snapshot. Other
 * files in the directory are removed.
 */
export async function writeDumps(node: NodeRoot, site: FileHandle, stamp: SnapshotStamp): Promise<{ dumped: string[]; kept: string[] }> {
  const dir = await openDumpDir(site);
  try {
    const keep = new Set([snapshotInfoFile]);
    // The stamp of the previous snapshot, in this root-only directory: an unchanged dump keeps
    // its digest, so only a changed one is hashed.
    const previous = await readStampFile(fdPath(dir, snapshotInfoFile));
    // Taken before any dump starts, so each dump holds at least everything before the mark.
    const { mark, changed } = stamp.databases.length ? await changesSince(node, previous, stamp.databases) : { mark: null, changed: null };
    const digests: Record<string, string> = {};
    const dumped: string[] = [];
    const kept: string[] = [];
    for (const db of stamp.databases) {
      databaseNameSchema.parse(db);
      const file = `${db}.sql`;
      keep.add(file);
      const previousDigest = previous?.databases.includes(db) ? previous.digests?.[db] : undefined;
      if (changed && !changed.has(db) && previousDigest && (await ownDump(dir, file))) {
        digests[db] = previousDigest;
        kept.push(db);
        continue;
      }
      dumped.push(db);
      const temp = fdPath(dir, `.${file}.tmp`);
      await unlink(temp).catch(() => undefined);
      const out = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        const dump = startTool(
          "/usr/bin/mariadb-dump",
          dumpArgs(node, db),
          { stdout: out.fd, timeoutMs: 10 * 60_000 },
        );
        await dump.done;
        // Synced only when it replaces the dump there: an unchanged database (a move's final
        // delta, usually) costs the dump and a compare, not a flush of megabytes to disk.
        if (await sameBytes(temp, fdPath(dir, file))) {
          await unlink(temp);
          digests[db] = previous?.digests?.[db] ?? (await fileDigest(fdPath(dir, file)));
        } else {
          digests[db] = await fileDigest(temp);
          await out.sync();
          await rename(temp, fdPath(dir, file));
        }
      } catch (e) {
        await unlink(temp).catch(() => undefined);
        throw e;
      } finally {
        await out.close();
      }
    }
    for (const name of await readdir(fdPath(dir))) {
      if (!keep.has(name)) await unlink(fdPath(dir, name)).catch(() => undefined);
    }
    const stampTemp = fdPath(dir, `.${snapshotInfoFile}.tmp`);
    await unlink(stampTemp).catch(() => undefined);
    const out = await open(stampTemp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await out.writeFile(`${JSON.stringify({ ...stamp, digests, ...(mark ? { binlog: mark } : {}) })}\n`);
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(stampTemp, fdPath(dir, snapshotInfoFile));
    return { dumped, kept };
  } finally {
    await dir.close();
  }
}

/**
 * Whether the live dump directory still holds snapshot `name`'s stamp and every one of
 * `databases` is untouched since its binlog mark: its dumps are then the databases as they are.
 */
export async function dumpsCurrent(node: NodeRoot, site: FileHandle, name: string, databases: readonly string[]): Promise<boolean> {
  const dir = await existingDumpDir(site);
  if (!dir) return false;
  try {
    const stamp = await readStampFile(fdPath(dir, snapshotInfoFile));
    if (!stamp || stamp.name !== name || databases.some((d) => !stamp.databases.includes(d))) return false;
    if (databases.length === 0) return true;
    for (const d of databases) if (!stamp.digests?.[d] || !(await ownDump(dir, `${d}.sql`))) return false;
    const { changed } = await changesSince(node, stamp, databases);
    return changed !== null && changed.size === 0;
  } finally {
    await dir.close();
  }
}

/** The stamp inside a snapshot (null when it has none, e.g. a damaged or foreign tree). */
export async function readStamp(snapshotDir: string): Promise<SnapshotStamp | null> {
  const dir = await snapshotDumpDir(snapshotDir);
  return dir === null ? null : readStampFile(path.join(dir, snapshotInfoFile));
}

async function readStampFile(file: string): Promise<SnapshotStamp | null> {
  const s = await lstat(file).catch(() => null);
  if (!s?.isFile() || s.uid !== 0) return null;
  try {
    // O_NOATIME: reading the stamp of a live volume must not change it (btrfs-unchanged.ts).
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NOATIME);
    const text = await handle.readFile("utf8").finally(() => handle.close());
    const parsed = JSON.parse(text) as SnapshotStamp;
    if (parsed.format !== 1 || typeof parsed.name !== "string" || typeof parsed.takenAt !== "string" || !Array.isArray(parsed.databases)) return null;
    if (parsed.username !== undefined && typeof parsed.username !== "string") return null;
    const digests = parsed.digests;
    const validDigests = typeof digests === "object" && digests !== null && Object.values(digests).every((d) => typeof d === "string" && /^[0-9a-f]{64}$/.test(d));
    if (!validDigests) delete parsed.digests;
    if (parsed.binlog !== undefined && !isBinlogMark(parsed.binlog)) delete parsed.binlog;
    return parsed;
  } catch {
    return null;
  }
}

/**
 * Marks a tree about to become a live volume (still in root's staging) as promoted from snapshot
 * `name`. The next snapshot's writeDumps removes the mark (it keeps only dumps and the stamp), so
 * the mark says "this live volume is snapshot `name`, and nothing has snapshotted it since".
 */
export async function writePromotedMark(tree: string, name: string, options: { standby?: boolean } = {}): Promise<void> {
  const dir = path.join(tree, platformDirName, dumpsDirName);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const out = await open(path.join(dir, promotedMarkFile), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    await out.writeFile(`${JSON.stringify({ name, promotedAt: new Date().toISOString(), ...(options.standby ? { standby: true } : {}) })}\n`);
  } finally {
    await out.close();
  }
}

/**
 * Makes a standby live where it is: its mark loses `standby` (through the site's descriptor and
 * the verified root-only dump directory, never a path the account could redirect).
 */
export async function activateStandbyMark(site: FileHandle, name: string): Promise<void> {
  const dir = await existingDumpDir(site);
  if (!dir) throw new Error("The site volume has no dump directory of root's.");
  try {
    const temp = fdPath(dir, `.${promotedMarkFile}.tmp`);
    await unlink(temp).catch(() => undefined);
    const out = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await out.writeFile(`${JSON.stringify({ name, promotedAt: new Date().toISOString() })}\n`);
    } finally {
      await out.close();
    }
    await rename(temp, fdPath(dir, promotedMarkFile));
  } finally {
    await dir.close();
  }
}

/** The snapshot a live volume was promoted from (its mark, root's only), or null. */
export async function readPromotedMark(site: FileHandle): Promise<string | null> {
  return (await readPromotedMarkInfo(site))?.name ?? null;
}

/**
 * The mark with its kind: `standby` when a move staged the volume on its target ahead of the
 * pause (promoteSnapshot with standby), not a live site: the final promote replaces it freely.
 */
export async function readPromotedMarkInfo(site: FileHandle): Promise<{ name: string; standby: boolean } | null> {
  const dir = await existingDumpDir(site);
  if (!dir) return null;
  try {
    const file = await open(fdPath(dir, promotedMarkFile), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOATIME).catch(() => null);
    if (!file) return null;
    try {
      const s = await file.stat();
      if (!s.isFile() || s.uid !== 0 || s.size > 4096) return null;
      const parsed = JSON.parse(await file.readFile("utf8")) as { name?: unknown; standby?: unknown };
      return typeof parsed.name === "string" ? { name: parsed.name, standby: parsed.standby === true } : null;
    } catch {
      return null;
    } finally {
      await file.close();
    }
  } finally {
    await dir.close();
  }
}

/** A database's dump in a snapshot, checked to be root's regular 0600 file (the agent wrote it). */
export async function dumpFileIn(snapshotDir: string, db: string): Promise<string> {
  databaseNameSchema.parse(db);
  const dir = await snapshotDumpDir(snapshotDir);
  const file = dir === null ? null : path.join(dir, `${db}.sql`);
  const s = file === null ? null : await lstat(file).catch(() => null);
  if (file === null || !s?.isFile() || s.uid !== 0 || (s.mode & 0o077) !== 0) {
    throw new MissingDumpError(`The snapshot has no dump of database ${db}.`);
  }
  return file;
}

export class MissingDumpError extends Error {}

export async function databaseExists(node: NodeRoot, db: string): Promise<boolean> {
  databaseNameSchema.parse(db);
  return withAdmin(node, async (conn) => {
    const rows: unknown[] = await conn.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [db]);
    return rows.length > 0;
  });
}

/**
 * Loads a dump back: the database is dropped and created empty, then the dump replays its
 * tables, rows, routines and triggers. MariaDB commits DDL implicitly, so this cannot be one
 * transaction; the rollback operation pauses the site around it, and the snapshot kept before the
 * rollback is the way back if it fails half-way. Grants survive (they name the database, and
 * dropping it does not drop them).
 */
export async function loadDump(node: NodeRoot, db: string, dumpFile: string): Promise<void> {
  databaseNameSchema.parse(db);
  const input = await open(dumpFile, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    await dropDatabase(node, db);
    await ensureDatabase(node, db);
    const load = startTool("/usr/bin/mariadb", [...mariadbArgs(node), "--binary-mode", `--database=${db}`], {
      stdin: input.fd,
      timeoutMs: 30 * 60_000,
    });
    await load.done;
  } finally {
    await input.close();
  }
}
