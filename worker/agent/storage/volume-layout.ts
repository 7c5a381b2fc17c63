import { lstat, mkdir, mkdtemp, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { errno, fdPath, openDirAt } from "./safe-fs";

// A site volume (what is snapshotted, replicated, moved, failed over and rolled back) has two
// parts side by side:
//   <volume>/            root:root      0711  the account passes through, cannot list or write
//   <volume>/files/      user:www-data  2750  the customer's tree (node.siteDir): document root,
//                                              app data; what PHP, nginx and the snapshot browser see
//   <volume>/meta/       root:root      0700  the platform's part:
//   <volume>/meta/db/                         database dumps and the snapshot's stamp (db-dumps.ts)
//   <volume>/meta/app.json                    which app was installed (apps/marker.ts)
// and, only while an app installs, a stage directory in the volume root (apps/stage.ts).
// Nothing of the platform is in the customer's tree, and the account can neither write the
// volume root nor enter meta/, so a dump root loads into MariaDB is never one it could write.
//
// Volumes made before had the customer's tree at the volume root with the platform's files in it
// (legacyNames); ensureVolumeLayout moves such a volume to this layout, idempotently, and
// snapshots taken before are read either way (snapshotTreeRoot, db-dumps.ts).

export const filesDirName = "files";
export const platformDirName = "meta";
/** In the platform directory: the database dumps (db-dumps.ts) and the installed app's marker (apps/marker.ts). */
export const dumpsDirName = "db";
export const appMarkerFile = "app.json";

/** The platform's names in a volume of the earlier layout, where the volume root was the customer's tree. */
export const legacyNames = { dumpDir: ".shoal-db", appMarker: ".shoal-app.json", stagePrefix: ".shoal-app-stage-" } as const;

export function isLegacyPlatformName(name: string): boolean {
  return name === legacyNames.dumpDir || name === legacyNames.appMarker || name.startsWith(legacyNames.stagePrefix);
}

/** Where the customer's files are collected while an old volume is converted (root's 0700, in the volume root). */
const convertingPrefix = ".converting-";

export type VolumeOwner = { uid: number; gid: number };

/**
 * Brings the open volume to the current layout and sets the owners and modes of its two parts:
 * the customer's tree gets `owner` (the account, group www-data) and 2750. Idempotent, and safe
 * to repeat after a crash at any point. The volume root is made root's first, so the account can
 * add or rename nothing there while its entries are moved; root never follows a name in it
 * (every entry is reached through the volume's descriptor, and renames do not follow symlinks).
 * Answers whether anything was moved.
 */
export async function ensureVolumeLayout(volume: FileHandle, owner: VolumeOwner | undefined): Promise<boolean> {
  // A volume root the account owns is of the earlier layout. The conversion is marked by its
  // root-owned directory before the root changes hands, so a crash half-way is resumed, never
  // taken for the current layout.
  const before = await volume.stat();
  const earlier = before.uid !== 0;
  // Without an account to give it (a volume made where no Unix user is involved, a bench), the
  // customer's part keeps the owner the earlier root had, or stays as it is.
  const target = owner ?? (earlier ? { uid: before.uid, gid: before.gid } : undefined);
  if (earlier && !(await convertingDir(volume))) await mkdtemp(fdPath(volume, convertingPrefix));
  await volume.chown(0, 0);
  await volume.chmod(0o711);
  let converting = await convertingDir(volume);
  if (!converting && earlier) converting = path.basename(await mkdtemp(fdPath(volume, convertingPrefix)));
  if (!converting) {
    // The current layout (or a new, empty volume): its two parts, their owners and modes.
    const platform = await ensurePlatformDir(volume);
    await platform.close();
    await mkdir(fdPath(volume, filesDirName), { mode: 0o700 }).catch((e: unknown) => {
      if (errno(e) !== "EEXIST") throw e;
    });
    if (target) await setOwner(volume, filesDirName, target, 0o2750);
    return false;
  }
  const entries = await readdir(fdPath(volume));
  const stats = new Map(await Promise.all(entries.map(async (e) => [e, await lstat(fdPath(volume, e)).catch(() => null)] as const)));
  const rootDir = (name: string) => {
    const s = stats.get(name);
    return !!s?.isDirectory() && s.uid === 0;
  };
  let moved = false;
  const temp = converting;
  const tempHandle = await openDirAt(volume, temp);
  try {
    if ((await tempHandle.stat()).uid !== 0) throw new Error(`${temp} in the site volume is not root's; refusing to convert the volume.`);
    await tempHandle.chmod(0o700);
    for (const name of entries) {
      const s = stats.get(name);
      if (!s || name === temp) continue;
      if (name === platformDirName && rootDir(name)) continue;
      if (name === legacyNames.dumpDir && rootDir(name)) continue;
      if (name === legacyNames.appMarker && s.isFile() && s.uid === 0) continue;
      if (name.startsWith(legacyNames.stagePrefix)) {
        // What an interrupted app install left (the install removes it too): never the customer's.
        await rm(fdPath(volume, name), { recursive: true, force: true });
        continue;
      }
      await rename(fdPath(volume, name), fdPath(tempHandle, name));
      moved = true;
    }
    const platform = await ensurePlatformDir(volume);
    try {
      if (rootDir(legacyNames.dumpDir)) await moveOrDrop(fdPath(volume, legacyNames.dumpDir), fdPath(platform, dumpsDirName));
      if (stats.get(legacyNames.appMarker)?.isFile() && stats.get(legacyNames.appMarker)?.uid === 0) {
        await moveOrDrop(fdPath(volume, legacyNames.appMarker), fdPath(platform, appMarkerFile));
      }
    } finally {
      await platform.close();
    }
  } finally {
    await tempHandle.close();
  }
  // Root's until it has its name, so that a crash before leaves it findable (convertingDir).
  await rename(fdPath(volume, temp), fdPath(volume, filesDirName));
  if (target) await setOwner(volume, filesDirName, target, 0o2750);
  return moved;
}

/** The name of a conversion's collecting directory in the volume root (root's; the account can't make one), or null. */
async function convertingDir(volume: FileHandle): Promise<string | null> {
  for (const name of await readdir(fdPath(volume))) {
    if (!name.startsWith(convertingPrefix)) continue;
    const s = await lstat(fdPath(volume, name)).catch(() => null);
    if (s?.isDirectory() && s.uid === 0) return name;
  }
  return null;
}

async function moveOrDrop(from: string, to: string): Promise<void> {
  if (await lstat(to).catch(() => null)) {
    await rm(from, { recursive: true, force: true });
    return;
  }
  await rename(from, to);
}

async function setOwner(volume: FileHandle, name: string, owner: VolumeOwner, mode: number): Promise<void> {
  const h = await openDirAt(volume, name);
  try {
    await h.chown(owner.uid, owner.gid);
    await h.chmod(mode);
  } finally {
    await h.close();
  }
}

/**
 * Opens the volume's platform directory, making it if missing, verified root's directory and
 * left 0700. Only root can make entries in the volume root, so the name cannot have been planted.
 */
export async function ensurePlatformDir(volume: FileHandle): Promise<FileHandle> {
  await mkdir(fdPath(volume, platformDirName), { mode: 0o700 }).catch((e: unknown) => {
    if (errno(e) !== "EEXIST") throw e;
  });
  return verifiedPlatformDir(volume);
}

/** Opens the volume's platform directory, refused unless it is root's directory (then made 0700). */
export async function verifiedPlatformDir(volume: FileHandle): Promise<FileHandle> {
  const h = await openDirAt(volume, platformDirName);
  const s = await h.stat();
  if (s.uid !== 0) {
    await h.close();
    throw new Error(`${platformDirName} in the site volume is not root's.`);
  }
  if ((s.mode & 0o7777) !== 0o700) await h.chmod(0o700);
  return h;
}

/** Opens the customer's tree of an open (current-layout) volume. */
export function openFilesDir(volume: FileHandle): Promise<FileHandle> {
  return openDirAt(volume, filesDirName);
}

/**
 * The customer's tree inside a snapshot (or any frozen copy of a volume), which never changes:
 * `files/` in the current layout; the whole tree in the earlier one, where `hidden` says which
 * top-level names are the platform's and never shown or restored.
 */
export async function snapshotTreeRoot(snapshotDir: string): Promise<{ dir: string; hidden: (topName: string) => boolean }> {
  const [meta, files] = await Promise.all([lstat(path.join(snapshotDir, platformDirName)).catch(() => null), lstat(path.join(snapshotDir, filesDirName)).catch(() => null)]);
  if (meta?.isDirectory() && meta.uid === 0 && files?.isDirectory()) return { dir: path.join(snapshotDir, filesDirName), hidden: () => false };
  return { dir: snapshotDir, hidden: isLegacyPlatformName };
}

/** The dump directory inside a frozen copy of a volume, by its layout (null: it has none). */
export async function snapshotDumpDir(snapshotDir: string): Promise<string | null> {
  const { dir: tree } = await snapshotTreeRoot(snapshotDir);
  const dir = tree === snapshotDir ? path.join(snapshotDir, legacyNames.dumpDir) : path.join(snapshotDir, platformDirName, dumpsDirName);
  const s = await lstat(dir).catch(() => null);
  return s?.isDirectory() && s.uid === 0 ? dir : null;
}
