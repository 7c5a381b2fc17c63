import { constants } from "node:fs";
import { mkdir, open, readlink, type FileHandle } from "node:fs/promises";

// The agent works as root inside trees the account can change while it works. Node has no
// openat(), so a directory opened without following symlinks is reached afterwards through its
// descriptor, /proc/self/fd/<fd>/<name>: the kernel resolves the directory the descriptor holds,
// whatever was renamed or swapped for a symlink on the path since, and only <name> is looked up.

/** /proc/self/fd/<fd>[/<name>] of an open directory (name: one segment, never followed when opened with O_NOFOLLOW). */
export const fdPath = (dir: FileHandle, name?: string) => (name === undefined ? `/proc/self/fd/${dir.fd}` : `/proc/self/fd/${dir.fd}/${name}`);

const dirFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Opens `dir`, refusing a symlink at any level (checked on the open descriptor, so no race). */
export async function openDirChecked(dir: string): Promise<FileHandle> {
  const handle = await open(dir, dirFlags);
  try {
    const actual = await readlink(fdPath(handle));
    if (actual !== dir) throw new Error(`${dir} resolves to ${actual} (a symlink on the way); refusing to use it.`);
    return handle;
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Opens the directory `name` inside `parent`; a symlink there fails with ELOOP or ENOTDIR. */
export function openDirAt(parent: FileHandle, name: string): Promise<FileHandle> {
  return open(fdPath(parent, name), dirFlags);
}

/** Opens the file `name` inside `parent` for reading, never following a symlink or blocking on a FIFO. */
export function openFileAt(parent: FileHandle, name: string): Promise<FileHandle> {
  return open(fdPath(parent, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
}

/**
 * Makes `dir` if missing and sets its owner and mode through a descriptor opened without
 * following symlinks (verified to be `dir`), as drivers/site-store.ts does for a new site.
 */
export async function ensureDirOwned(dir: string, uid: number, gid: number, mode: number): Promise<void> {
  await mkdir(dir, { mode: 0o700 }).catch((e: unknown) => {
    if (errno(e) !== "EEXIST") throw e;
  });
  await withHandle(openDirChecked(dir), async (handle) => {
    await handle.chown(uid, gid);
    await handle.chmod(mode);
  });
}

export async function withHandle<T>(handle: Promise<FileHandle>, work: (h: FileHandle) => Promise<T>): Promise<T> {
  const h = await handle;
  try {
    return await work(h);
  } finally {
    await h.close();
  }
}

export const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
