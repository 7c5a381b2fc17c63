import { randomBytes } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { chmod, chown, copyFile, lstat, mkdir, open, readdir, readFile, readlink, rename, rm, stat, unlink, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { unixUsernameSchema } from "../../../server/domain/unix-username";
import { writeFileAtomic } from "../config-file";
import { mariadbPid, startMariadb } from "../drivers/mariadb";
import type { NodeRoot } from "../node-root";
import { lookupSystemGroupId, readSystemUsers } from "../system-users";
import { btrfsDriver } from "./btrfs-driver";
import { btrfsUnchangedSince } from "./btrfs-unchanged";
import { activateStandbyMark, databaseExists, dumpFileIn, dumpsCurrent, loadDump, MissingDumpError, readPromotedMarkInfo, readStamp, sameBytes, writeDumps, writePromotedMark } from "./db-dumps";
import { dirDriver } from "./dir-driver";
import { databaseNameSchema, InvalidRelativePathError, parseRelativePath, siteIdSchema, snapshotNameSchema } from "./names";
import { ensureDirOwned, errno, fdPath, openDirAt, openDirChecked } from "./safe-fs";
import { treeSize } from "./tree";
import { measureUsage, type UsageReport } from "./usage";
import type { VolumeDriver } from "./volume-driver";
import { processLogger } from "../../../server/observability/logger";

// A site's storage: its live directory (node.siteDir: a btrfs subvolume or a plain directory,
// NodeConfig.storage picks the driver) and its snapshots, each holding the site's files and a
// consistent dump of its databases. One interface for both drivers; the differences are in
// volume-driver.ts. Snapshot layout (root's, 0700):
//   <snapshotsDir>/<siteId>/<name>              the snapshot (read-only subvolume, or a tree)
//   <snapshotsDir>/<siteId>/.meta/<name>.json   written last: a snapshot without it is unfinished
//                                               and is never listed, sent or restored
// Calls for one site run one at a time (a per-site queue); different sites run side by side.

export type SnapshotInfo = { name: string; takenAt: string; sizeBytes: number; databases: string[] };
type SnapshotMeta = SnapshotInfo & { startedAtMs: number };

export type SnapshotEntry =
  | { type: "dir"; entries: { name: string; type: "dir" | "file" | "symlink" | "other"; sizeBytes: number; mode: number; mtime: string }[] }
  | { type: "file"; sizeBytes: number; mode: number; mtime: string; open(): Readable }
  | { type: "symlink"; target: string };

export type RestoreResult = {
  restored: SnapshotInfo;
  kept: SnapshotInfo;
  timingsMs: { keepCurrent: number; files: number; databases: number; total: number };
};

export type PromoteResult = {
  promoted: SnapshotInfo;
  /** The live state before, when there was one (keepCurrentAs); null on a replica and on a repeat. */
  kept: SnapshotInfo | null;
  /** The account the site's files belong to. */
  username: string;
  /** Databases not loaded because the standby this replaced already holds exactly that dump. */
  unchangedDatabases: string[];
  timingsMs: { keepCurrent: number; files: number; databases: number; total: number };
};

export interface SiteStorage {
  readonly kind: "btrfs" | "dir";
  /** Makes the site's live directory if it is missing (root's 0700: the caller sets owner and mode). */
  ensureSiteVolume(site: { username: string; siteId: string }): Promise<{ created: boolean }>;
  /** Deletes the live directory and, unless kept, every snapshot of the site. */
  removeSiteVolume(site: { username: string; siteId: string }, options?: { keepSnapshots?: boolean }): Promise<void>;
  /**
   * `sizeLater`: the snapshot is listed at once with its predecessor's size, and its own is
   * summed right after (the next call of this site waits for it): a move's final snapshot, whose
   * size nobody needs while the site's requests are held.
   */
  /**
   * `reuseIfUnchanged`: when the site is exactly as this node's newest snapshot, which has that
   * name, left it (files by the btrfs generation, databases by the binlog), no snapshot is taken
   * and that one is answered with `reused: true` (a move's final delta when nothing was written).
   */
  createSnapshot(
    siteId: string,
    name: string,
    options?: { databases?: string[]; sizeLater?: boolean; reuseIfUnchanged?: string },
  ): Promise<SnapshotInfo & { timingsMs: { dump: number; snapshot: number }; keptDumps: string[]; reused?: boolean; notReused?: string }>;
  listSnapshots(siteId: string): Promise<SnapshotInfo[]>;
  deleteSnapshot(siteId: string, name: string): Promise<void>;
  /**
   * Rolls the site's files and `databases` back to snapshot `name`; the state before is kept as
   * snapshot `keepCurrentAs`, so the rollback can itself be undone.
   */
  restoreSnapshot(siteId: string, name: string, options: { keepCurrentAs: string; databases?: string[] }): Promise<RestoreResult>;
  /**
   * Makes snapshot `name` (on this node) the site's live volume and loads `databases` (default:
   * the snapshot's) from its dumps: on a replica, which holds only snapshots, the live volume is
   * created; a live volume already here is kept first as snapshot `keepCurrentAs` (required
   * then) and replaced. Promoting the snapshot the live volume was promoted from (and not
   * snapshotted since) again does it again without keeping anything, so a retried promote ends
   * in the same state. The site's account must exist here (CONFLICT otherwise).
   *
   * `standby`: a planned move stages the site on its target before the pause (the volume and the
   * databases of the newest pre-copy snapshot, which the target's vhost and pool then serve,
   * unrouted), so that the move's final promote only swaps in the final snapshot: a standby
   * replaces nothing but a standby (CONFLICT on a live site), and a promote replaces a standby
   * without keeping it (it is a copy of a snapshot this node holds) and loads only the databases
   * whose dump differs from the one the standby loaded.
   */
  promoteSnapshot(siteId: string, name: string, options?: { databases?: string[]; keepCurrentAs?: string; standby?: boolean }): Promise<PromoteResult>;
  readSnapshotFile(siteId: string, name: string, relPath: string): Promise<SnapshotEntry>;
  restoreFile(siteId: string, name: string, relPath: string): Promise<{ path: string; sizeBytes: number }>;
  sendSnapshot(siteId: string, name: string, parent?: string): Promise<Readable>;
  /**
   * Disk use of every site live here: files, database dumps, snapshots (what deleting them would
   * free), and each customer database's MariaDB files (usage.ts). Calls that arrive while one is
   * being measured share its answer.
   */
  measureUsage(): Promise<UsageReport>;
  /** `sizeLater` as for createSnapshot. */
  receiveSnapshot(siteId: string, stream: AsyncIterable<Buffer>, options: { name: string; maxBytes: number; sizeLater?: boolean }): Promise<SnapshotInfo & { streamBytes: number }>;
}

/** A refusal the API turns into an HTTP status (the rest are 500s). */
export class StorageError extends Error {
  constructor(
    readonly code: "NOT_FOUND" | "ALREADY_EXISTS" | "INVALID" | "CONFLICT",
    message: string,
  ) {
    super(message);
  }
}

const queues = new Map<string, Promise<unknown>>();
/** Runs `task` after every earlier task of the same key. */
function serialised<T>(key: string, task: () => Promise<T>): Promise<T> {
  const result = (queues.get(key) ?? Promise.resolve()).then(task);
  const tail = result.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return result;
}

const check = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } }, value: unknown, what: string): T => {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new StorageError("INVALID", `Invalid ${what} "${String(value)}": ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
};

/** "Now" by the file system's clock: the ctime of a file made now (see tree.ts, sameFileAsBefore). */
async function fileSystemNow(dir: string): Promise<number> {
  const marker = path.join(dir, `clock-${randomBytes(6).toString("hex")}`);
  await writeFile(marker, "", { flag: "wx", mode: 0o600 });
  try {
    return (await lstat(marker)).ctimeMs;
  } finally {
    await unlink(marker);
  }
}

export function siteStorage(node: NodeRoot): SiteStorage {
  const driver: VolumeDriver = node.storage === "btrfs" ? btrfsDriver(node.storeDir) : dirDriver;
  const siteSnapshots = (siteId: string) => path.join(node.snapshotsDir, siteId);
  const snapshotDir = (siteId: string, name: string) => path.join(siteSnapshots(siteId), name);
  const metaFile = (siteId: string, name: string) => path.join(siteSnapshots(siteId), ".meta", `${name}.json`);
  // Which snapshot's dumps a standby loaded, written only once they all loaded (root's, outside
  // the account's reach; not ".json", so never listed as a snapshot).
  const standbyFile = (siteId: string) => path.join(siteSnapshots(siteId), ".meta", "standby.state");
  async function readStandby(siteId: string): Promise<{ name: string; loaded: string[] } | null> {
    try {
      const parsed = JSON.parse(await readFile(standbyFile(siteId), "utf8")) as { name?: unknown; loaded?: unknown };
      if (typeof parsed.name !== "string" || !Array.isArray(parsed.loaded)) return null;
      return { name: parsed.name, loaded: parsed.loaded.filter((d): d is string => typeof d === "string") };
    } catch {
      return null;
    }
  }
  const staging = (what: string) => path.join(node.storageStagingDir, `${what}-${randomBytes(6).toString("hex")}`);
  const lock = <T>(siteId: string, task: () => Promise<T>) => serialised(`${node.root}\0${siteId}`, task);

  async function readMeta(siteId: string, name: string): Promise<SnapshotMeta | null> {
    try {
      const meta = JSON.parse(await readFile(metaFile(siteId, name), "utf8")) as SnapshotMeta;
      return (await lstat(snapshotDir(siteId, name)).catch(() => null))?.isDirectory() ? meta : null;
    } catch (e) {
      if (errno(e) === "ENOENT") return null;
      throw e;
    }
  }
  async function requireMeta(siteId: string, name: string): Promise<SnapshotMeta> {
    const meta = await readMeta(siteId, name);
    if (!meta) throw new StorageError("NOT_FOUND", `Site ${siteId} has no snapshot ${name}.`);
    return meta;
  }
  const publicInfo = ({ name, takenAt, sizeBytes, databases }: SnapshotMeta): SnapshotInfo => ({ name, takenAt, sizeBytes, databases });

  async function list(siteId: string): Promise<SnapshotMeta[]> {
    const names = (await readdir(path.join(siteSnapshots(siteId), ".meta")).catch(() => [] as string[]))
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5))
      .filter((n) => snapshotNameSchema.safeParse(n).success);
    const metas: SnapshotMeta[] = [];
    for (const name of names) {
      const meta = await readMeta(siteId, name);
      if (meta) metas.push(meta);
    }
    return metas.sort((a, b) => a.takenAt.localeCompare(b.takenAt) || a.name.localeCompare(b.name));
  }

  /** The account that holds site `siteId` on this node (exactly one), or null. */
  async function locate(siteId: string): Promise<{ username: string } | null> {
    const found: string[] = [];
    for (const username of await readdir(node.homeDir).catch(() => [] as string[])) {
      const s = await lstat(node.siteDir(username, siteId)).catch(() => null);
      if (s?.isDirectory()) found.push(username);
    }
    if (found.length > 1) throw new StorageError("CONFLICT", `Site ${siteId} is stored under several accounts (${found.join(", ")}).`);
    return found[0] ? { username: found[0] } : null;
  }
  /** The verified `sites` directory of the site's account and the site directory in it. */
  async function openSite(siteId: string): Promise<{ sites: FileHandle; site: FileHandle; username: string }> {
    const where = await locate(siteId);
    if (!where) throw new StorageError("NOT_FOUND", `Site ${siteId} has no store on this node.`);
    const sites = await openDirChecked(path.dirname(node.siteDir(where.username, siteId)));
    try {
      const site = await openDirAt(sites, siteId);
      return { sites, site, username: where.username };
    } catch (e) {
      await sites.close();
      throw e;
    }
  }
  const ensureSnapshotDirs = async (siteId: string) => {
    await mkdir(path.join(siteSnapshots(siteId), ".meta"), { recursive: true, mode: 0o700 });
  };

  async function deleteLocked(siteId: string, name: string): Promise<void> {
    await rm(metaFile(siteId, name), { force: true });
    await driver.deleteSnapshot(snapshotDir(siteId, name));
  }

  /**
   * The size for a new snapshot's meta: summed now, or (later) the newest other snapshot's for
   * now and the real one written into the meta a few seconds on, in the site's queue (not at
   * once: the move's promote of this very snapshot comes next and must not wait for it). An
   * agent that stops before then leaves the estimate.
   */
  async function sizeOf(siteId: string, name: string, later: boolean): Promise<number> {
    if (!later) return treeSize(snapshotDir(siteId, name));
    const resize = () =>
      lock(siteId, async () => {
        const meta = await readMeta(siteId, name);
        if (!meta) return;
        await writeFileAtomic(metaFile(siteId, name), `${JSON.stringify({ ...meta, sizeBytes: await treeSize(snapshotDir(siteId, name)) })}\n`, 0o600);
      }).catch((e: unknown) => processLogger("agent").error({ siteId, snapshot: name }, `Sizing snapshot ${name} of site ${siteId}: ${e instanceof Error ? e.message : String(e)}`));
    setTimeout(() => void resize(), 3_000).unref();
    return (await list(siteId)).filter((m) => m.name !== name).at(-1)?.sizeBytes ?? 0;
  }

  /**
   * Snapshot `name`'s info when the site is as it left it (see createSnapshot's
   * reuseIfUnchanged), else why not (said in the new snapshot's answer).
   */
  async function unchangedSince(siteId: string, name: string, databases: string[]) {
    if (driver.kind !== "btrfs") return { why: "the directory driver cannot tell" };
    const started = Date.now();
    const newest = (await list(siteId)).at(-1);
    if (!newest || newest.name !== name) return { why: `${newest?.name ?? "none"} is this node's newest snapshot of the site` };
    if (databases.some((d) => !newest.databases.includes(d))) return { why: `${name} lacks a database` };
    const { sites, site } = await openSite(siteId);
    try {
      if (!(await btrfsUnchangedSince(node.storeDir, site, snapshotDir(siteId, name)))) return { why: "files changed" };
      const filesChecked = Date.now();
      if (!(await dumpsCurrent(node, site, name, databases))) return { why: "a database changed" };
      return { info: { ...publicInfo(newest), timingsMs: { dump: Date.now() - filesChecked, snapshot: filesChecked - started }, keptDumps: databases, reused: true } };
    } finally {
      await site.close();
      await sites.close();
    }
  }

  async function snapshotLocked(siteId: string, name: string, databases: string[], sizeLater = false) {
    if (await readMeta(siteId, name)) throw new StorageError("ALREADY_EXISTS", `Site ${siteId} already has a snapshot ${name}.`);
    for (const db of databases) {
      if (!(await databaseExists(node, db))) throw new StorageError("NOT_FOUND", `Database ${db} does not exist on this node.`);
    }
    const { sites, site, username } = await openSite(siteId);
    try {
      await ensureSnapshotDirs(siteId);
      // An unfinished snapshot of this name (a crash half-way) is thrown away and taken again.
      await deleteLocked(siteId, name);
      const started = Date.now();
      const startedAtMs = await fileSystemNow(node.storageStagingDir);
      const takenAt = new Date().toISOString();
      const dumps = await writeDumps(node, site, { format: 1, name, takenAt, databases, username });
      const dumped = Date.now();
      const previous = (await list(siteId)).at(-1);
      const dest = snapshotDir(siteId, name);
      await driver.freeze(site, dest, previous ? { dir: snapshotDir(siteId, previous.name), startedAtMs: previous.startedAtMs } : null, siteId);
      const frozen = Date.now();
      const meta: SnapshotMeta = { name, takenAt, sizeBytes: await sizeOf(siteId, name, sizeLater), databases, startedAtMs };
      await writeFileAtomic(metaFile(siteId, name), `${JSON.stringify(meta)}\n`, 0o600);
      // keptDumps: databases no binlog event touched since the last snapshot, not dumped again.
      return { ...publicInfo(meta), timingsMs: { dump: dumped - started, snapshot: frozen - dumped }, keptDumps: dumps.kept };
    } finally {
      await site.close();
      await sites.close();
    }
  }

  /**
   * The account a snapshot's files belong to, which must exist on this node: by the snapshot's
   * stamp, or (a snapshot older than the stamp's username) by the owner of its top directory.
   */
  async function accountOf(siteId: string, name: string) {
    const stamp = await readStamp(snapshotDir(siteId, name));
    const users = await readSystemUsers();
    let username = stamp?.username;
    if (username !== undefined && !unixUsernameSchema.safeParse(username).success) {
      throw new StorageError("INVALID", `Snapshot ${name} names an invalid account "${username}".`);
    }
    if (username === undefined) {
      const uid = (await lstat(snapshotDir(siteId, name))).uid;
      username = [...users.values()].find((u) => u.uid === uid && u.comment.startsWith("Shoal account "))?.name;
      if (username === undefined) {
        throw new StorageError("CONFLICT", `The files of snapshot ${name} belong to uid ${uid}, which is no Shoal account on this node; converge a spec that lists the site's account first.`);
      }
    }
    const user = users.get(username);
    const home = await stat(node.accountHome(username)).catch(() => null);
    if (!user || !user.comment.startsWith("Shoal account ") || !home?.isDirectory() || home.uid !== user.uid) {
      throw new StorageError(
        "CONFLICT",
        `Account ${username} of site ${siteId} does not exist on this node; converge a spec that lists the site in replicas (with its account) before promoting it.`,
      );
    }
    return user;
  }

  async function snapshotEntry(siteId: string, name: string, relPath: string): Promise<{ full: string; segments: string[] }> {
    let segments: string[];
    try {
      segments = parseRelativePath(relPath);
    } catch (e) {
      if (e instanceof InvalidRelativePathError) throw new StorageError("INVALID", e.message);
      throw e;
    }
    await requireMeta(siteId, name);
    // A snapshot never changes, so walking it by path is race-free; a symlink on the way is
    // refused rather than followed (it could point anywhere on the node).
    let full = snapshotDir(siteId, name);
    for (const [i, segment] of segments.entries()) {
      full = path.join(full, segment);
      const s = await lstat(full).catch(() => null);
      if (!s) throw new StorageError("NOT_FOUND", `${segments.slice(0, i + 1).join("/")} is not in snapshot ${name}.`);
      if (i < segments.length - 1 && !s.isDirectory()) {
        throw new StorageError("INVALID", `${segments.slice(0, i + 1).join("/")} is ${s.isSymbolicLink() ? "a symlink" : "not a directory"} in snapshot ${name}; it is not followed.`);
      }
    }
    return { full, segments };
  }

  /** The snapshot's meta, the databases to load (its own unless given) and each one's dump file. */
  async function dumpsToLoad(siteId: string, name: string, only?: string[]) {
    const target = await requireMeta(siteId, name);
    const databases = [...new Set((only ?? target.databases).map((db) => check(databaseNameSchema, db, "database name")))].sort();
    const dumps = new Map<string, string>();
    for (const db of databases) {
      try {
        dumps.set(db, await dumpFileIn(snapshotDir(siteId, name), db));
      } catch (e) {
        if (e instanceof MissingDumpError) throw new StorageError("INVALID", e.message);
        throw e;
      }
    }
    return { target, databases, dumps };
  }

  let measuring: Promise<UsageReport> | null = null;

  return {
    kind: driver.kind,

    measureUsage() {
      measuring ??= measureUsage(node).finally(() => {
        measuring = null;
      });
      return measuring;
    },

    async ensureSiteVolume(site) {
      check(siteIdSchema, site.siteId, "site id");
      return lock(site.siteId, async () => {
        const sites = await openDirChecked(path.dirname(node.siteDir(site.username, site.siteId)));
        try {
          if (await lstat(fdPath(sites, site.siteId)).catch(() => null)) return { created: false };
          await driver.createVolume(sites, site.siteId);
          return { created: true };
        } finally {
          await sites.close();
        }
      });
    },

    async removeSiteVolume(site, options = {}) {
      check(siteIdSchema, site.siteId, "site id");
      return lock(site.siteId, async () => {
        const sitesDir = path.dirname(node.siteDir(site.username, site.siteId));
        if (await lstat(sitesDir).catch(() => null)) {
          const sites = await openDirChecked(sitesDir);
          try {
            // Out of the account's reach first (a rename), then deleted where nothing can change it.
            const doomed = staging("remove");
            try {
              await rename(fdPath(sites, site.siteId), doomed);
            } catch (e) {
              if (errno(e) !== "ENOENT") throw e;
            }
            await driver.deleteVolume(doomed);
          } finally {
            await sites.close();
          }
        }
        if (!options.keepSnapshots) {
          for (const name of await readdir(siteSnapshots(site.siteId)).catch(() => [] as string[])) {
            if (name !== ".meta") await deleteLocked(site.siteId, name);
          }
          await rm(siteSnapshots(site.siteId), { recursive: true, force: true });
        }
      });
    },

    async createSnapshot(siteId, name, options = {}) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      const databases = [...new Set((options.databases ?? []).map((db) => check(databaseNameSchema, db, "database name")))].sort();
      const reuse = options.reuseIfUnchanged === undefined ? undefined : check(snapshotNameSchema, options.reuseIfUnchanged, "snapshot name");
      return lock(siteId, async () => {
        const unchanged = reuse === undefined ? null : await unchangedSince(siteId, reuse, databases);
        if (unchanged?.info) return unchanged.info;
        const made = await snapshotLocked(siteId, name, databases, options.sizeLater === true);
        return unchanged?.why ? { ...made, notReused: unchanged.why } : made;
      });
    },

    async listSnapshots(siteId) {
      check(siteIdSchema, siteId, "site id");
      return (await list(siteId)).map(publicInfo);
    },

    async deleteSnapshot(siteId, name) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      return lock(siteId, async () => {
        await requireMeta(siteId, name);
        await deleteLocked(siteId, name);
      });
    },

    async restoreSnapshot(siteId, name, options) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      check(snapshotNameSchema, options.keepCurrentAs, "snapshot name");
      return lock(siteId, async () => {
        const started = Date.now();
        // Everything that could refuse it is checked before anything changes.
        const { target, databases, dumps } = await dumpsToLoad(siteId, name, options.databases);
        const kept = await snapshotLocked(siteId, options.keepCurrentAs, databases);
        const keptAt = Date.now();
        const fresh = staging("restore");
        await driver.thaw(snapshotDir(siteId, name), fresh, siteId);
        const { sites, site } = await openSite(siteId);
        const old = staging("replaced");
        try {
          await site.close();
          // The swap: two renames in the root-owned sites directory, microseconds apart. Linux
          // has renameat2(RENAME_EXCHANGE) but neither Node nor Debian 12's coreutils expose
          // it; the rollback operation pauses the site at the edges around this anyway.
          await rename(fdPath(sites, siteId), old);
          try {
            await rename(fresh, fdPath(sites, siteId));
          } catch (e) {
            await rename(old, fdPath(sites, siteId));
            throw e;
          }
        } catch (e) {
          await driver.deleteVolume(fresh).catch(() => undefined);
          throw e;
        } finally {
          await sites.close();
        }
        const switched = Date.now();
        try {
          // A failure here leaves the files switched and a database half loaded: the caller
          // retries the restore, or restores keepCurrentAs to go back to where it started.
          for (const [db, file] of dumps) await loadDump(node, db, file);
        } finally {
          await driver.deleteVolume(old);
        }
        const loaded = Date.now();
        return {
          restored: publicInfo(target),
          kept: publicInfo({ ...kept, startedAtMs: 0 }),
          timingsMs: { keepCurrent: keptAt - started, files: switched - keptAt, databases: loaded - switched, total: Date.now() - started },
        };
      });
    },

    async promoteSnapshot(siteId, name, options = {}) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      if (options.keepCurrentAs !== undefined) check(snapshotNameSchema, options.keepCurrentAs, "snapshot name");
      return lock(siteId, async () => {
        const started = Date.now();
        // Everything that could refuse it is checked before anything changes.
        const { target, databases, dumps } = await dumpsToLoad(siteId, name, options.databases);
        const user = await accountOf(siteId, name);
        const wwwData = await lookupSystemGroupId("www-data");
        if (wwwData === undefined) throw new Error("The www-data group is missing: install nginx (scripts/node-lib.sh).");
        const where = await locate(siteId);
        if (where && where.username !== user.name) {
          throw new StorageError("CONFLICT", `Site ${siteId} is live here under account ${where.username}, but snapshot ${name} is account ${user.name}'s.`);
        }
        let kept: SnapshotMeta | null = null;
        // The standby this promote replaces and the dumps it loaded: those need no load again.
        let standbyLoaded: { name: string; loaded: string[] } | null = null;
        if (where) {
          const { sites, site } = await openSite(siteId);
          const markInfo = await readPromotedMarkInfo(site).finally(async () => {
            await site.close();
            await sites.close();
          });
          const mark = markInfo?.name ?? null;
          if (options.standby && !markInfo?.standby) {
            throw new StorageError("CONFLICT", `Site ${siteId} has a live volume on this node that is not a standby: a standby is only staged where the site is not served.`);
          }
          if (markInfo?.standby) {
            // Nothing to keep: a standby is snapshot `mark` as it was received, never served.
            if (!options.standby) standbyLoaded = (await readStandby(siteId).then((st) => (st?.name === mark ? st : null))) ?? null;
            // The standby is this very snapshot with all its databases loaded (a move's final delta
            // found nothing changed): it goes live where it is, no second copy of the files.
            if (standbyLoaded && mark === name && [...dumps.keys()].every((d) => standbyLoaded!.loaded.includes(d))) {
              let present = true;
              for (const d of dumps.keys()) present &&= await databaseExists(node, d);
              if (present) {
                const opened = await openSite(siteId);
                try {
                  await activateStandbyMark(opened.site, name);
                } finally {
                  await opened.site.close();
                  await opened.sites.close();
                }
                await rm(standbyFile(siteId), { force: true });
                const total = Date.now() - started;
                return { promoted: publicInfo(target), kept: null, username: user.name, unchangedDatabases: [...dumps.keys()].sort(), timingsMs: { keepCurrent: 0, files: total, databases: 0, total } };
              }
            }
          } else if (mark !== name) {
            // A repeat (the answer to the first promote was lost): the live volume is that
            // snapshot plus at most what happened since, which promoting it again means to replace.
            if (options.keepCurrentAs === undefined) {
              throw new StorageError("INVALID", `Site ${siteId} has a live volume on this node: keepCurrentAs must name the snapshot that keeps its current state.`);
            }
            // The live databases too, those that exist here (a divergent copy after a netsplit).
            const live: string[] = [];
            for (const db of databases) if ((await mariadbPid(node)) && (await databaseExists(node, db))) live.push(db);
            kept = { ...(await snapshotLocked(siteId, options.keepCurrentAs, live)), startedAtMs: 0 };
          }
        }
        // Whatever happens next, the databases no longer hold what a standby record says.
        await rm(standbyFile(siteId), { force: true });
        const unchanged = new Set<string>();
        if (standbyLoaded) {
          // By the dumps' digests in the two stamps when both have them (no 2 x 20 MB read while a
          // move holds requests), else by their bytes.
          const [was, now] = await Promise.all([readStamp(snapshotDir(siteId, standbyLoaded.name)), readStamp(snapshotDir(siteId, name))]);
          for (const [db, file] of dumps) {
            if (!standbyLoaded.loaded.includes(db)) continue;
            const [a, b] = [was?.digests?.[db], now?.digests?.[db]];
            if (a !== undefined && b !== undefined) {
              if (a === b) unchanged.add(db);
              continue;
            }
            const before = await dumpFileIn(snapshotDir(siteId, standbyLoaded.name), db).catch(() => null);
            if (before && (await sameBytes(before, file))) unchanged.add(db);
          }
        }
        const keptAt = Date.now();

        // The account's directories, as drivers/site-store.ts's ensureSiteStore makes them, so
        // the converge that then serves the site finds its store ready and only adds the rest.
        const home = node.accountHome(user.name);
        const sitesDir = path.dirname(node.siteDir(user.name, siteId));
        await ensureDirOwned(sitesDir, 0, wwwData, 0o751);
        await ensureDirOwned(path.join(home, "tmp"), 0, user.gid, 0o710);
        await ensureDirOwned(node.siteTmpDir(user.name, siteId), user.uid, user.gid, 0o700);
        const fresh = staging("promote");
        await driver.thaw(snapshotDir(siteId, name), fresh, siteId);
        const sites = await openDirChecked(sitesDir);
        let old: string | null = null;
        try {
          // Files inside keep the numeric uid/gid they had on the node the snapshot came from
          // (both drivers' streams carry them as numbers). The local cluster's nodes share one
          // /etc/passwd, so they are right. On separate machines the same account can have
          // another uid: the mapping (sender's uid -> username -> this node's uid, from the
          // stamp's username and the sender's account list) would go in receiveSnapshot, applied
          // to the received tree before its meta is written, so that snapshots on every node are
          // already in local ids. Not built yet. Only the top directory is set here: it is what
          // makes the store "ready" for converge (drivers/site-store.ts).
          await chown(fresh, user.uid, wwwData);
          await chmod(fresh, 0o2750);
          await writePromotedMark(fresh, name, { standby: options.standby === true });
          if (where) {
            old = staging("replaced");
            await rename(fdPath(sites, siteId), old);
            try {
              await rename(fresh, fdPath(sites, siteId));
            } catch (e) {
              await rename(old, fdPath(sites, siteId));
              old = null;
              throw e;
            }
          } else {
            await rename(fresh, fdPath(sites, siteId));
          }
        } catch (e) {
          await driver.deleteVolume(fresh).catch(() => undefined);
          throw e;
        } finally {
          await sites.close();
        }
        const switched = Date.now();
        try {
          // A replica node has never needed MariaDB; a failed load leaves the files promoted and
          // the promote can simply be repeated (it is idempotent).
          if (dumps.size > 0) await startMariadb(node);
          for (const [db, file] of dumps) {
            // The standby's database is this very dump, and nothing but the move's target
            // converge (users and grants, no rows) touched it since: a 20 MB reload saved.
            if (unchanged.has(db) && (await databaseExists(node, db))) continue;
            unchanged.delete(db);
            await loadDump(node, db, file);
          }
          if (options.standby) {
            await ensureSnapshotDirs(siteId);
            await writeFileAtomic(standbyFile(siteId), `${JSON.stringify({ name, loaded: [...dumps.keys()] })}\n`, 0o600);
          }
        } finally {
          // The replaced volume is out of everyone's way in staging: deleted a few seconds after
          // this answers, in the site's queue, since a move's held requests wait for the answer
          // and then for the release (whose route file's fsync a btrfs delete would slow).
          const replaced = old;
          if (replaced) {
            const remove = () =>
              lock(siteId, () => driver.deleteVolume(replaced)).catch((e: unknown) =>
                processLogger("agent").error({ siteId, volume: replaced }, `Deleting the replaced volume of site ${siteId} (${replaced}): ${e instanceof Error ? e.message : String(e)}`),
              );
            setTimeout(() => void remove(), 3_000).unref();
          }
        }
        const loaded = Date.now();
        return {
          promoted: publicInfo(target),
          kept: kept ? publicInfo(kept) : null,
          username: user.name,
          unchangedDatabases: [...unchanged].sort(),
          timingsMs: { keepCurrent: keptAt - started, files: switched - keptAt, databases: loaded - switched, total: loaded - started },
        };
      });
    },

    async readSnapshotFile(siteId, name, relPath) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      const { full } = await snapshotEntry(siteId, name, relPath);
      const s = await lstat(full);
      if (s.isSymbolicLink()) return { type: "symlink", target: await readlink(full) };
      if (s.isFile()) {
        return {
          type: "file",
          sizeBytes: s.size,
          mode: s.mode & 0o7777,
          mtime: s.mtime.toISOString(),
          open: () => createReadStream(full, { flags: constants.O_RDONLY | constants.O_NOFOLLOW } as unknown as { flags: string }),
        };
      }
      if (!s.isDirectory()) throw new StorageError("INVALID", `${relPath} is not a file, directory or symlink.`);
      const entries = [];
      for (const entry of (await readdir(full)).sort()) {
        const e = await lstat(path.join(full, entry));
        entries.push({
          name: entry,
          type: e.isDirectory() ? ("dir" as const) : e.isFile() ? ("file" as const) : e.isSymbolicLink() ? ("symlink" as const) : ("other" as const),
          sizeBytes: e.isDirectory() ? 0 : e.size,
          mode: e.mode & 0o7777,
          mtime: e.mtime.toISOString(),
        });
      }
      return { type: "dir", entries };
    },

    async restoreFile(siteId, name, relPath) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      return lock(siteId, async () => {
        const { full, segments } = await snapshotEntry(siteId, name, relPath);
        const source = await lstat(full);
        if (!source.isFile()) throw new StorageError("INVALID", `${relPath || "/"} is not a file in snapshot ${name}; only files are restored one at a time.`);
        const { sites, site } = await openSite(siteId);
        const opened: FileHandle[] = [sites, site];
        try {
          // Down the live site through descriptors: the account may have put a symlink where the
          // snapshot had a directory, and root must never write through it.
          let dir = site;
          let snapDir = snapshotDir(siteId, name);
          for (const segment of segments.slice(0, -1)) {
            snapDir = path.join(snapDir, segment);
            let next = await openDirAt(dir, segment).catch((e: unknown) => {
              if (errno(e) === "ENOENT") return null;
              if (["ELOOP", "ENOTDIR"].includes(errno(e) ?? "")) {
                throw new StorageError("CONFLICT", `${segment} in the live site is not a directory (a file or symlink is in the way).`);
              }
              throw e;
            });
            if (!next) {
              const s = await lstat(snapDir);
              await mkdir(fdPath(dir, segment), { mode: 0o700 });
              next = await openDirAt(dir, segment);
              await next.chown(s.uid, s.gid);
              await next.chmod(s.mode & 0o7777);
            }
            opened.push(next);
            dir = next;
          }
          const last = segments.at(-1)!;
          const temp = fdPath(dir, `.shoal-restore-${randomBytes(6).toString("hex")}`);
          // COPYFILE_EXCL creates with O_EXCL, which also refuses a symlink planted at the name.
          await copyFile(full, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
          try {
            const out = await open(temp, constants.O_WRONLY | constants.O_NOFOLLOW);
            try {
              await out.chown(source.uid, source.gid);
              await out.chmod(source.mode & 0o7777);
              await out.utimes(source.atime, source.mtime);
            } finally {
              await out.close();
            }
            await rename(temp, fdPath(dir, last)).catch((e: unknown) => {
              if (["EISDIR", "ENOTEMPTY", "EEXIST"].includes(errno(e) ?? "")) {
                throw new StorageError("CONFLICT", `${relPath} is a directory in the live site; it is not replaced by a file.`);
              }
              throw e;
            });
          } catch (e) {
            await unlink(temp).catch(() => undefined);
            throw e;
          }
          return { path: segments.join("/"), sizeBytes: source.size };
        } finally {
          for (const h of opened.reverse()) await h.close();
        }
      });
    },

    async sendSnapshot(siteId, name, parent) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      if (parent !== undefined) check(snapshotNameSchema, parent, "parent snapshot name");
      await requireMeta(siteId, name);
      if (parent !== undefined) await requireMeta(siteId, parent);
      return driver.send(snapshotDir(siteId, name), name, parent === undefined ? null : { dir: snapshotDir(siteId, parent), name: parent });
    },

    async receiveSnapshot(siteId, stream, options) {
      check(siteIdSchema, siteId, "site id");
      const name = check(snapshotNameSchema, options.name, "snapshot name");
      return lock(siteId, async () => {
        if (await readMeta(siteId, name)) throw new StorageError("ALREADY_EXISTS", `Site ${siteId} already has a snapshot ${name}.`);
        await ensureSnapshotDirs(siteId);
        await deleteLocked(siteId, name);
        let bytes: number;
        try {
          ({ bytes } = await driver.receive(stream, {
            dir: siteSnapshots(siteId),
            name,
            parentDir: async (parentName) =>
              snapshotNameSchema.safeParse(parentName).success && (await readMeta(siteId, parentName)) ? snapshotDir(siteId, parentName) : null,
            staging: () => staging("receive"),
            maxBytes: options.maxBytes,
          }));
        } catch (e) {
          throw new StorageError("INVALID", `The snapshot stream was refused: ${(e as Error).message}`);
        }
        const stamp = await readStamp(snapshotDir(siteId, name));
        if (!stamp || stamp.name !== name) {
          await deleteLocked(siteId, name);
          throw new StorageError("INVALID", `The received tree is not snapshot ${name} of a Shoal site (its stamp is missing or names another).`);
        }
        const meta: SnapshotMeta = {
          name,
          takenAt: stamp.takenAt,
          sizeBytes: await sizeOf(siteId, name, options.sizeLater === true),
          databases: stamp.databases,
          // Files here are received, never hard-linked from the live site: no ctime shortcut.
          startedAtMs: 0,
        };
        await writeFileAtomic(metaFile(siteId, name), `${JSON.stringify(meta)}\n`, 0o600);
        return { ...publicInfo(meta), streamBytes: bytes };
      });
    },
  };
}
