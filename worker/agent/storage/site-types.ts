import type { Readable } from "node:stream";
import type { UsageReport } from "./usage";

// What a site's storage answers (site-storage.ts composes it), apart from the code so that the
// files that implement it can import these without importing each other.

export type SnapshotInfo = { name: string; takenAt: string; sizeBytes: number; databases: string[] };
/**
 * What .meta/<name>.json holds. `startedAtMs`: the file system's clock when the snapshot began,
 * for the next snapshot's ctime shortcut (tree.ts); 0 where that shortcut must not apply.
 */
export type SnapshotMeta = SnapshotInfo & { startedAtMs: number };

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
   *
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
