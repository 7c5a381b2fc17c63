import { randomBytes } from "node:crypto";
import { constants, createReadStream, type Stats } from "node:fs";
import { copyFile, lstat, mkdir, open, readdir, readlink, rename, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { siteIdSchema, snapshotNameSchema } from "../../../server/contract/storage-names";
import { InvalidRelativePathError, parseRelativePath } from "./names";
import { errno, fdPath, openDirAt } from "./safe-fs";
import { check, type SiteContext } from "./site-context";
import { openFilesDir, snapshotTreeRoot } from "./volume-layout";
import { StorageError, type SiteStorage, type SnapshotEntry } from "./site-types";

// Looking into a snapshot file by file, and putting one file of it back into the live site.

export function browseOps(ctx: SiteContext): Pick<SiteStorage, "readSnapshotFile" | "restoreFile"> {
  return {
    async readSnapshotFile(siteId, name, relPath) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      const { full, root, hidden } = await snapshotEntry(ctx, siteId, name, relPath);
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
      // Only the customer's tree is shown: in a snapshot of the earlier layout, the platform's names at its top are left out.
      return { type: "dir", entries: (await listDir(full)).filter((e) => full !== root || !hidden(e.name)) };
    },

    async restoreFile(siteId, name, relPath) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      return ctx.lock(siteId, async () => {
        const { full, segments, root } = await snapshotEntry(ctx, siteId, name, relPath);
        const source = await lstat(full);
        if (!source.isFile()) throw new StorageError("INVALID", `${relPath || "/"} is not a file in snapshot ${name}; only files are restored one at a time.`);
        const { sites, site } = await ctx.openSite(siteId);
        const opened: FileHandle[] = [sites, site];
        try {
          const files = await openFilesDir(site);
          opened.push(files);
          const dir = await openLiveParent(root, files, segments.slice(0, -1), opened);
          await replaceFile(dir, segments.at(-1)!, full, source, relPath);
          return { path: segments.join("/"), sizeBytes: source.size };
        } finally {
          for (const h of opened.reverse()) await h.close();
        }
      });
    },
  };
}

type DirEntries = Extract<SnapshotEntry, { type: "dir" }>["entries"];

async function listDir(full: string): Promise<DirEntries> {
  const entries: DirEntries = [];
  for (const entry of (await readdir(full)).sort()) {
    const e = await lstat(path.join(full, entry));
    entries.push({
      name: entry,
      type: e.isDirectory() ? "dir" : e.isFile() ? "file" : e.isSymbolicLink() ? "symlink" : "other",
      sizeBytes: e.isDirectory() ? 0 : e.size,
      mode: e.mode & 0o7777,
      mtime: e.mtime.toISOString(),
    });
  }
  return entries;
}

/**
 * The path of `relPath` in a finished snapshot's customer tree (`root`), and its segments;
 * refused when it is not there or is one of the platform's names (`hidden`).
 */
async function snapshotEntry(
  ctx: SiteContext,
  siteId: string,
  name: string,
  relPath: string,
): Promise<{ full: string; segments: string[]; root: string; hidden: (topName: string) => boolean }> {
  let segments: string[];
  try {
    segments = parseRelativePath(relPath);
  } catch (e) {
    if (e instanceof InvalidRelativePathError) throw new StorageError("INVALID", e.message);
    throw e;
  }
  await ctx.requireMeta(siteId, name);
  const { dir: root, hidden } = await snapshotTreeRoot(ctx.snapshotDir(siteId, name));
  if (segments.length > 0 && hidden(segments[0]!)) throw new StorageError("NOT_FOUND", `${segments[0]} is not in snapshot ${name}.`);
  // A snapshot never changes, so walking it by path is race-free; a symlink on the way is
  // refused rather than followed (it could point anywhere on the node).
  let full = root;
  for (const [i, segment] of segments.entries()) {
    full = path.join(full, segment);
    const s = await lstat(full).catch(() => null);
    if (!s) throw new StorageError("NOT_FOUND", `${segments.slice(0, i + 1).join("/")} is not in snapshot ${name}.`);
    if (i < segments.length - 1 && !s.isDirectory()) {
      throw new StorageError("INVALID", `${segments.slice(0, i + 1).join("/")} is ${s.isSymbolicLink() ? "a symlink" : "not a directory"} in snapshot ${name}; it is not followed.`);
    }
  }
  return { full, segments, root, hidden };
}

/**
 * Opens `segments` down from the live `site` through descriptors, making the missing directories
 * as the snapshot (`snapshotDir`) has them: the account may have put a symlink where the snapshot
 * had a directory, and root must never write through it. Every handle opened is pushed on `opened`.
 */
async function openLiveParent(snapshotDir: string, site: FileHandle, segments: string[], opened: FileHandle[]): Promise<FileHandle> {
  let dir = site;
  let snapDir = snapshotDir;
  for (const segment of segments) {
    snapDir = path.join(snapDir, segment);
    const openLive = () =>
      openDirAt(dir, segment).catch((e: unknown) => {
        if (errno(e) === "ENOENT") return null;
        if (["ELOOP", "ENOTDIR"].includes(errno(e) ?? "")) {
          throw new StorageError("CONFLICT", `${segment} in the live site is not a directory (a file or symlink is in the way).`);
        }
        throw e;
      });
    let next = await openLive();
    if (!next) {
      const s = await lstat(snapDir);
      // The account may make the name meanwhile: then it is theirs, opened as any other (and
      // refused if it is not a directory), and root does not chown what it did not make.
      const made = await mkdir(fdPath(dir, segment), { mode: 0o700 }).then(
        () => true,
        (e: unknown) => {
          if (errno(e) === "EEXIST") return false;
          throw e;
        },
      );
      next = await openLive();
      if (!next) throw new StorageError("CONFLICT", `${segment} in the live site changed while the file was restored; try again.`);
      if (made) {
        await next.chown(s.uid, s.gid);
        await next.chmod(s.mode & 0o7777);
      }
    }
    opened.push(next);
    dir = next;
  }
  return dir;
}

/** Copies the snapshot's file `full` to a temporary name in `dir`, as it was, then renames it over `last`. */
async function replaceFile(dir: FileHandle, last: string, full: string, source: Stats, relPath: string): Promise<void> {
  const temp = fdPath(dir, `.restore-${randomBytes(6).toString("hex")}`);
  // COPYFILE_EXCL creates with O_EXCL, which also refuses a symlink planted at the name.
  await copyFile(full, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE).catch((e: unknown) => {
    // The directory was removed under its descriptor (the account deleted it meanwhile).
    if (errno(e) === "ENOENT") throw new StorageError("CONFLICT", `${relPath}: its directory was removed from the live site while the file was restored; try again.`);
    throw e;
  });
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
    // The account removed the directory or the temporary file meanwhile.
    if (errno(e) === "ENOENT") throw new StorageError("CONFLICT", `${relPath} changed in the live site while the file was restored; try again.`);
    throw e;
  }
}
