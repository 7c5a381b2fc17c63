import { createHash } from "node:crypto";
import { constants, type BigIntStats, type Stats } from "node:fs";
import { copyFile, link, lstat, lutimes, mkdir, open, readdir, readlink, symlink, lchown, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { errno, fdPath, openDirAt, openFileAt } from "./safe-fs";

// Tree copies for the directory driver and the walks both drivers use. Only regular files,
// directories and symlinks are kept; sockets, FIFOs and devices have no place in a web site.
// Hard links inside a site become separate files in a copy.

export type CopyStats = { files: number; linkedFiles: number; copiedBytes: number; sizeBytes: number };

export type LinkParent = {
  /** The previous snapshot's root: unchanged files are hard-linked to it instead of copied. */
  dir: string;
  /** When that snapshot's copy began (ms since the epoch). */
  startedAtMs: number;
};

// A file is unchanged since the previous snapshot when its ctime is older than that snapshot's
// start: every write, chmod, chown, rename or link moves ctime, and users cannot set it. The start
// is the ctime of a marker file made on the same file system as the snapshot began
// (site-snapshots.ts, fileSystemNow), so both sides of the comparison come from the kernel's own timestamp clock
// (which lags wall time by up to a tick), and a file changed in the marker's tick is copied.
/**
 * Copies the directory open as `src` into `dest` (which must not exist), race-free against the
 * tree's owner changing it meanwhile (every entry is opened through its parent's descriptor).
 * With `parent`, files unchanged since that snapshot are hard links to it, so a snapshot costs
 * only what changed. Owners, modes and times are kept.
 */
export async function copyTree(src: FileHandle, dest: string, parent: LinkParent | null = null): Promise<CopyStats> {
  const stats: CopyStats = { files: 0, linkedFiles: 0, copiedBytes: 0, sizeBytes: 0 };
  const top = await src.stat();
  await mkdir(dest, { mode: 0o700 });
  await copyDirContents(src, dest, parent?.dir ?? null, parent, stats);
  await applyDirMeta(dest, top);
  return stats;
}

async function applyDirMeta(dir: string, s: Stats): Promise<void> {
  await lchown(dir, s.uid, s.gid);
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    await handle.chmod(s.mode & 0o7777);
    await handle.utimes(s.atime, s.mtime);
  } finally {
    await handle.close();
  }
}

async function copyDirContents(src: FileHandle, dest: string, prevDir: string | null, parent: LinkParent | null, stats: CopyStats): Promise<void> {
  const names = (await readdir(fdPath(src))).sort();
  for (const name of names) {
    const target = path.join(dest, name);
    const prev = prevDir === null ? null : path.join(prevDir, name);
    let s: Stats;
    try {
      s = await lstat(fdPath(src, name));
    } catch (e) {
      if (errno(e) === "ENOENT") continue; // deleted while we walk: the next snapshot agrees
      throw e;
    }
    if (s.isDirectory()) await copyChildDir(src, name, target, prev, parent, stats);
    else if (s.isFile()) await copyChildFile(src, name, target, prev, parent, stats);
    else if (s.isSymbolicLink()) await copyChildSymlink(src, name, target, s, stats);
  }
}

async function copyChildDir(src: FileHandle, name: string, target: string, prev: string | null, parent: LinkParent | null, stats: CopyStats): Promise<void> {
  let child: FileHandle;
  try {
    child = await openDirAt(src, name);
  } catch (e) {
    // Swapped for a symlink or removed since the lstat: not copied (never followed).
    if (["ENOENT", "ELOOP", "ENOTDIR"].includes(errno(e) ?? "")) return;
    throw e;
  }
  try {
    const childStat = await child.stat();
    await mkdir(target, { mode: 0o700 });
    await copyDirContents(child, target, prev, parent, stats);
    await applyDirMeta(target, childStat);
  } finally {
    await child.close();
  }
}

async function copyChildFile(src: FileHandle, name: string, target: string, prev: string | null, parent: LinkParent | null, stats: CopyStats): Promise<void> {
  let file: FileHandle;
  try {
    file = await openFileAt(src, name);
  } catch (e) {
    if (["ENOENT", "ELOOP", "ENXIO"].includes(errno(e) ?? "")) return;
    throw e;
  }
  try {
    const fs = await file.stat();
    if (!fs.isFile()) return;
    stats.files++;
    stats.sizeBytes += fs.size;
    if (prev && parent && (await sameFileAsBefore(fs, prev, parent))) {
      await link(prev, target);
      stats.linkedFiles++;
      return;
    }
    // Through the descriptor: the inode we opened, wherever its name went since. Reflinked
    // where the file system can (free on btrfs/xfs), copied otherwise.
    await copyFile(fdPath(file), target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    stats.copiedBytes += fs.size;
    const out = await open(target, constants.O_WRONLY | constants.O_NOFOLLOW);
    try {
      await out.chown(fs.uid, fs.gid);
      await out.chmod(fs.mode & 0o7777);
      await out.utimes(fs.atime, fs.mtime);
    } finally {
      await out.close();
    }
  } finally {
    await file.close();
  }
}

async function copyChildSymlink(src: FileHandle, name: string, target: string, s: Stats, stats: CopyStats): Promise<void> {
  let linkTarget: string;
  try {
    linkTarget = await readlink(fdPath(src, name));
  } catch (e) {
    if (["ENOENT", "EINVAL"].includes(errno(e) ?? "")) return;
    throw e;
  }
  await symlink(linkTarget, target);
  await lchown(target, s.uid, s.gid);
  await lutimes(target, s.atime, s.mtime);
  stats.sizeBytes += s.size;
}

async function sameFileAsBefore(live: Stats, prevPath: string, parent: LinkParent): Promise<boolean> {
  if (live.ctimeMs >= parent.startedAtMs) return false;
  const prev = await lstat(prevPath).catch(() => null);
  return (
    !!prev &&
    prev.isFile() &&
    prev.size === live.size &&
    prev.uid === live.uid &&
    prev.gid === live.gid &&
    (prev.mode & 0o7777) === (live.mode & 0o7777)
  );
}

export type TreeEntry = {
  /** Relative path, "/"-separated; "" is the top directory. */
  path: string;
  type: "dir" | "file" | "symlink";
  stat: BigIntStats;
  target?: string;
};

/**
 * Every entry of a tree nobody else can change (a snapshot, a staging copy), in pre-order with
 * names sorted, so a directory always comes before what it holds.
 */
export async function* walkTree(root: string, rel = ""): AsyncGenerator<TreeEntry> {
  const full = rel === "" ? root : path.join(root, rel);
  const s = await lstat(full, { bigint: true });
  if (s.isDirectory()) {
    yield { path: rel, type: "dir", stat: s };
    for (const name of (await readdir(full)).sort()) yield* walkTree(root, rel === "" ? name : `${rel}/${name}`);
  } else if (s.isFile()) {
    yield { path: rel, type: "file", stat: s };
  } else if (s.isSymbolicLink()) {
    yield { path: rel, type: "symlink", stat: s, target: await readlink(full) };
  }
}

/**
 * Apparent size of a tree (regular files and symlinks). Every snapshot and every receive sums
 * one, so it lstats a directory's entries side by side (readdir's types say which): one entry at
 * a time is slow on a busy machine, and a move's held window waits for two sums (the final
 * snapshot, and its receive on the target).
 */
export async function treeSize(root: string): Promise<number> {
  const s = await lstat(root);
  if (s.isDirectory()) return dirSize(root);
  return s.isFile() || s.isSymbolicLink() ? s.size : 0;
}

async function dirSize(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true });
  const sizes = await Promise.all(
    entries.map(async (e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return dirSize(full);
      if (e.isFile() || e.isSymbolicLink()) return (await lstat(full)).size;
      return 0;
    }),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * A digest of a tree's shape and metadata (paths, types, owners, modes, sizes, link targets; not
 * contents or times): a received copy must match its sender's, and a parent must match before an
 * increment is applied to it.
 */
export async function treeSummary(root: string): Promise<{ digest: string; entries: number }> {
  const hash = createHash("sha256");
  let entries = 0;
  for await (const e of walkTree(root)) {
    entries++;
    const mode = e.type === "symlink" ? 0 : Number(e.stat.mode & 0o7777n);
    const size = e.type === "dir" ? 0 : Number(e.stat.size);
    hash.update(`${e.type}\0${e.path}\0${mode}\0${e.stat.uid}\0${e.stat.gid}\0${size}\0${e.target ?? ""}\n`);
  }
  return { digest: hash.digest("hex"), entries };
}
