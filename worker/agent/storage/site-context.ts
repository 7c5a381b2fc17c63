import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../config-file";
import type { NodeRoot } from "../node-root";
import { btrfsDriver } from "./btrfs-driver";
import { dirDriver } from "./dir-driver";
import { snapshotNameSchema } from "../../../server/contract/storage-names";
import { errno, fdPath, openDirAt, openDirChecked } from "./safe-fs";
import { lookupSystemGroupId, readSystemUsers } from "../system-users";
import { ensureVolumeLayout, filesDirName, type VolumeOwner } from "./volume-layout";
import { StorageError, type SnapshotInfo, type SnapshotMeta } from "./site-types";
import { treeSize } from "./tree";
import type { VolumeDriver } from "./volume-driver";
import { processLogger } from "../../../server/observability/logger";

// What every part of a site's storage shares: the node's driver, where a site's snapshots and
// their metas are, the per-site queue, and reading those metas. Snapshot layout (root's, 0700):
//   <snapshotsDir>/<siteId>/<name>              the snapshot (read-only subvolume, or a tree)
//   <snapshotsDir>/<siteId>/.meta/<name>.json   written last: a snapshot without it is unfinished
//                                               and is never listed, sent or restored

// Module-wide, not per SiteContext: two siteStorage(node) of the same node must still queue a
// site's calls behind each other.
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

type Schema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } };

/** `value` parsed by `schema`, or an INVALID refusal naming `what`. */
export const check = <T>(schema: Schema<T>, value: unknown, what: string): T => {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new StorageError("INVALID", `Invalid ${what} "${String(value)}": ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
};

export const publicInfo = ({ name, takenAt, sizeBytes, databases }: SnapshotMeta): SnapshotInfo => ({ name, takenAt, sizeBytes, databases });

export const describeError = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class SiteContext {
  readonly driver: VolumeDriver;

  constructor(readonly node: NodeRoot) {
    this.driver = node.storage === "btrfs" ? btrfsDriver(node.storeDir) : dirDriver;
  }

  siteSnapshots(siteId: string): string {
    return path.join(this.node.snapshotsDir, siteId);
  }
  snapshotDir(siteId: string, name: string): string {
    return path.join(this.siteSnapshots(siteId), name);
  }
  metaFile(siteId: string, name: string): string {
    return path.join(this.siteSnapshots(siteId), ".meta", `${name}.json`);
  }
  /**
   * Which snapshot's dumps a standby loaded, written only once they all loaded (root's, outside
   * the account's reach; not ".json", so never listed as a snapshot).
   */
  standbyFile(siteId: string): string {
    return path.join(this.siteSnapshots(siteId), ".meta", "standby.state");
  }
  /** A fresh path in the staging directory, for work in progress out of the account's reach. */
  staging(what: string): string {
    return path.join(this.node.storageStagingDir, `${what}-${randomBytes(6).toString("hex")}`);
  }
  /** Runs `task` after every earlier call for this site on this node. */
  lock<T>(siteId: string, task: () => Promise<T>): Promise<T> {
    return serialised(`${this.node.root}\0${siteId}`, task);
  }

  async readStandby(siteId: string): Promise<{ name: string; loaded: string[] } | null> {
    try {
      const parsed = JSON.parse(await readFile(this.standbyFile(siteId), "utf8")) as { name?: unknown; loaded?: unknown };
      if (typeof parsed.name !== "string" || !Array.isArray(parsed.loaded)) return null;
      return { name: parsed.name, loaded: parsed.loaded.filter((d): d is string => typeof d === "string") };
    } catch {
      return null;
    }
  }
  async writeStandby(siteId: string, standby: { name: string; loaded: string[] }): Promise<void> {
    await this.ensureSnapshotDirs(siteId);
    await writeFileAtomic(this.standbyFile(siteId), `${JSON.stringify(standby)}\n`, 0o600);
  }

  /** The snapshot's meta, or null when it is missing or unfinished. */
  async readMeta(siteId: string, name: string): Promise<SnapshotMeta | null> {
    try {
      const meta = JSON.parse(await readFile(this.metaFile(siteId, name), "utf8")) as SnapshotMeta;
      return (await lstat(this.snapshotDir(siteId, name)).catch(() => null))?.isDirectory() ? meta : null;
    } catch (e) {
      if (errno(e) === "ENOENT") return null;
      throw e;
    }
  }
  async requireMeta(siteId: string, name: string): Promise<SnapshotMeta> {
    const meta = await this.readMeta(siteId, name);
    if (!meta) throw new StorageError("NOT_FOUND", `Site ${siteId} has no snapshot ${name}.`);
    return meta;
  }
  /** Written last, so that the snapshot counts only once everything else is in place. */
  async writeMeta(siteId: string, name: string, meta: SnapshotMeta): Promise<void> {
    await writeFileAtomic(this.metaFile(siteId, name), `${JSON.stringify(meta)}\n`, 0o600);
  }

  /** The site's finished snapshots, oldest first. */
  async list(siteId: string): Promise<SnapshotMeta[]> {
    const names = (await readdir(path.join(this.siteSnapshots(siteId), ".meta")).catch(() => [] as string[]))
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5))
      .filter((n) => snapshotNameSchema.safeParse(n).success);
    const metas: SnapshotMeta[] = [];
    for (const name of names) {
      const meta = await this.readMeta(siteId, name);
      if (meta) metas.push(meta);
    }
    return metas.sort((a, b) => a.takenAt.localeCompare(b.takenAt) || a.name.localeCompare(b.name));
  }

  /** The account that holds site `siteId` on this node (exactly one), or null. */
  async locate(siteId: string): Promise<{ username: string } | null> {
    const found: string[] = [];
    for (const username of await readdir(this.node.homeDir).catch(() => [] as string[])) {
      const s = await lstat(this.node.siteVolumeDir(username, siteId)).catch(() => null);
      if (s?.isDirectory()) found.push(username);
    }
    if (found.length > 1) throw new StorageError("CONFLICT", `Site ${siteId} is stored under several accounts (${found.join(", ")}).`);
    return found[0] ? { username: found[0] } : null;
  }
  /** The verified `sites` directory of the site's account and the site directory in it. */
  async openSite(siteId: string): Promise<{ sites: FileHandle; site: FileHandle; username: string }> {
    const where = await this.locate(siteId);
    if (!where) throw new StorageError("NOT_FOUND", `Site ${siteId} has no store on this node.`);
    const sites = await openDirChecked(path.dirname(this.node.siteVolumeDir(where.username, siteId)));
    try {
      const site = await openDirAt(sites, siteId);
      try {
        await this.ensureLayout(site, where.username);
      } catch (e) {
        await site.close();
        throw e;
      }
      return { sites, site, username: where.username };
    } catch (e) {
      await sites.close();
      throw e;
    }
  }

  /**
   * A volume of the earlier layout (the customer's tree at its root, not yet converged) is
   * converted before any storage work reads or writes its platform part (volume-layout.ts).
   */
  async ensureLayout(volume: FileHandle, username: string): Promise<void> {
    if ((await volume.stat()).uid === 0 && (await lstat(fdPath(volume, filesDirName)).catch(() => null))?.isDirectory()) return;
    await ensureVolumeLayout(volume, await this.volumeOwner(username));
  }

  /** The owner of an account's site files: the account, group www-data (undefined where there is no such user). */
  async volumeOwner(username: string): Promise<VolumeOwner | undefined> {
    const user = (await readSystemUsers()).get(username);
    const wwwData = await lookupSystemGroupId("www-data");
    return user && wwwData !== undefined ? { uid: user.uid, gid: wwwData } : undefined;
  }

  async ensureSnapshotDirs(siteId: string): Promise<void> {
    await mkdir(path.join(this.siteSnapshots(siteId), ".meta"), { recursive: true, mode: 0o700 });
  }
  /** Deletes a snapshot, finished or not; the caller holds the site's lock. */
  async deleteLocked(siteId: string, name: string): Promise<void> {
    await rm(this.metaFile(siteId, name), { force: true });
    await this.driver.deleteSnapshot(this.snapshotDir(siteId, name));
  }

  /**
   * The size for a new snapshot's meta: summed now, or (later) the newest other snapshot's for
   * now and the real one written into the meta a few seconds on, in the site's queue (not at
   * once: the move's promote of this very snapshot comes next and must not wait for it). An
   * agent that stops before then leaves the estimate.
   */
  async sizeOf(siteId: string, name: string, later: boolean): Promise<number> {
    if (!later) return treeSize(this.snapshotDir(siteId, name));
    const resize = () =>
      this.lock(siteId, async () => {
        const meta = await this.readMeta(siteId, name);
        if (!meta) return;
        await this.writeMeta(siteId, name, { ...meta, sizeBytes: await treeSize(this.snapshotDir(siteId, name)) });
      }).catch((e: unknown) => processLogger("agent").error({ siteId, snapshot: name }, `Sizing snapshot ${name} of site ${siteId}: ${describeError(e)}`));
    setTimeout(() => void resize(), 3_000).unref();
    return (await this.list(siteId)).filter((m) => m.name !== name).at(-1)?.sizeBytes ?? 0;
  }
}
