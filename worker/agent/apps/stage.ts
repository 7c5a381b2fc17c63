import { constants } from "node:fs";
import { lstat, mkdir, mkdtemp, open, readdir, readlink, rename, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { placeholderHtml } from "../drivers/site-store";
import type { NodeRoot } from "../node-root";
import { lookupSystemGroupId, readSystemUsers, type SystemUser } from "../system-users";

// Installing an app means root writing thousands of files into a directory the account can write
// to, where it could plant symlinks (public -> /etc) or swap entries mid-install. So root never
// writes through an account-controlled path name:
//   1. the site directory and the document root are opened with O_NOFOLLOW and checked to be
//      exactly where they should be; every later reference goes through those descriptors
//      (/proc/<agent pid>/fd/N), so renaming or replacing an entry afterwards changes nothing;
//   2. the app is built in a fresh stage directory root creates in the site VOLUME's root, next
//      to the customer's tree and never in it (same file system, so the final move is a rename;
//      storage/volume-layout.ts), verified root-owned, 0700 and empty through its own descriptor:
//      the account can't enter it, and can't list or write the volume root;
//   3. only when every file is written and chowned does the stage open up to the account (its
//      PHP finishes the install in there), then two renames move it into place. A rename never
//      follows a symlink, so nothing the account does in that window reaches outside its site.
// Any failure removes the stage and whatever was moved, so a retry starts from the same state.

export const stagePrefix = ".install-";

export type Stage = {
  /** The stage for root's own work (cp, writes): through the agent's descriptor, never by name. */
  rootPath: string;
  /** The same directory by its real name, for the account's PHP (which can't use root's descriptor). */
  realPath: string;
  /** Inside the stage: `root` becomes the document root, `site/<name>` becomes `<site dir>/<name>`. */
  documentRoot: { rootPath: string; realPath: string };
  site: { rootPath: string; realPath: string };
  user: SystemUser;
  wwwData: number;
  siteDir: string;
  /** The document root's real path once installed (what php-fpm and nginx will see). */
  finalDocumentRoot: string;
};

export type StagedInstall = {
  /** Names the app adds next to the document root (outside it: never served). */
  siteEntries: readonly string[];
  /** Stage-relative paths only the account may read (secrets): 0600 instead of 0640. */
  privateFiles: readonly string[];
  /** Root fills the stage. */
  build: (stage: Stage) => Promise<void>;
  /** Runs once the stage belongs to the account (an app's own installer, as that user). */
  finish?: (stage: Stage) => Promise<void>;
};

const fdPath = (handle: FileHandle) => `/proc/${process.pid}/fd/${handle.fd}`;

async function openDirExactly(dir: string): Promise<FileHandle> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ELOOP" || e.code === "ENOTDIR") throw new Error(`${dir} is not a directory (a symlink?); refusing to install into it.`);
    throw e;
  });
  const actual = await readlink(`/proc/self/fd/${handle.fd}`);
  if (actual !== dir) {
    await handle.close();
    throw new Error(`${dir} resolves to ${actual} (a symlink on the way); refusing to install into it.`);
  }
  return handle;
}

/** Sets owner and mode on everything below `dir` (root's 0700 stage, so paths can't be swapped). */
async function chownTree(dir: string, uid: number, gid: number, privateFiles: ReadonlySet<string>, rel = ""): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const relative = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) {
      // cp -L leaves none; one here would be a packaging surprise, never something to chown through.
      throw new Error(`Unexpected symlink ${relative} in the app's files.`);
    }
    if (entry.isDirectory()) {
      await chownTree(full, uid, gid, privateFiles, relative);
      const h = await open(full, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        await h.chown(uid, gid);
        await h.chmod(0o2750);
      } finally {
        await h.close();
      }
    } else if (entry.isFile()) {
      const h = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        await h.chown(uid, gid);
        await h.chmod(privateFiles.has(relative) ? 0o600 : 0o640);
      } finally {
        await h.close();
      }
    } else {
      throw new Error(`Unexpected special file ${relative} in the app's files.`);
    }
  }
}

/** The document root may hold nothing but the placeholder a new site gets: never install over files. */
async function checkDocumentRootEmpty(docHandle: FileHandle, documentRoot: string): Promise<boolean> {
  const entries = await readdir(fdPath(docHandle));
  if (entries.length === 0) return false;
  if (entries.length === 1 && entries[0] === "index.html") {
    const h = await open(path.join(fdPath(docHandle), "index.html"), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
      () => null,
    );
    if (h) {
      try {
        if ((await h.stat()).isFile() && (await h.readFile("utf8")) === placeholderHtml) return true;
      } finally {
        await h.close();
      }
    }
  }
  throw new Error(
    `The document root ${documentRoot} already has files (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", ..." : ""}); an app installs only into a new site's empty document root.`,
  );
}

/** Leftovers of an interrupted install (in the volume root): removed before anything else, so a retry starts clean. */
async function removeStages(volumeHandle: FileHandle): Promise<void> {
  for (const name of await readdir(fdPath(volumeHandle))) {
    // rm never follows a symlink: a planted one is unlinked, its target untouched.
    if (name.startsWith(stagePrefix)) await rm(path.join(fdPath(volumeHandle), name), { recursive: true, force: true });
  }
}

export async function installStaged(
  node: NodeRoot,
  site: { siteId: string; username: string; documentRoot: string },
  install: StagedInstall,
): Promise<void> {
  const user = (await readSystemUsers()).get(site.username);
  if (!user) throw new Error(`The system user "${site.username}" does not exist; the account must be created first.`);
  const wwwData = await lookupSystemGroupId("www-data");
  if (wwwData === undefined) throw new Error("The www-data group is missing: install nginx (scripts/node-lib.sh).");
  const siteDir = node.siteDir(site.username, site.siteId);
  const volumeDir = node.siteVolumeDir(site.username, site.siteId);
  const finalDocumentRoot = path.join(siteDir, site.documentRoot);
  const topSegment = site.documentRoot.split("/")[0]!;
  for (const entry of install.siteEntries) {
    if (entry === topSegment) throw new Error(`The document root ${site.documentRoot} collides with the app's ${entry} directory; choose another.`);
  }

  const handles: FileHandle[] = [];
  const keep = async (p: Promise<FileHandle>) => {
    const h = await p;
    handles.push(h);
    return h;
  };
  let stageName: string | null = null;
  const moved: string[] = [];
  let siteHandle: FileHandle | null = null;
  let volumeHandle: FileHandle | null = null;
  try {
    volumeHandle = await keep(openDirExactly(volumeDir));
    if ((await volumeHandle.stat()).uid !== 0) throw new Error(`${volumeDir} is not root's; the site store must be converged before an app installs.`);
    siteHandle = await keep(openDirExactly(siteDir));
    await removeStages(volumeHandle);
    const docHandle = await keep(openDirExactly(finalDocumentRoot));
    const parentHandle = await keep(openDirExactly(path.dirname(finalDocumentRoot)));
    const hasPlaceholder = await checkDocumentRootEmpty(docHandle, site.documentRoot);
    for (const entry of install.siteEntries) {
      const existing = await lstat(path.join(fdPath(siteHandle), entry)).catch(() => null);
      if (existing) throw new Error(`${path.join(siteDir, entry)} already exists; the app keeps its data there.`);
    }

    const stageByFd = await mkdtemp(path.join(fdPath(volumeHandle), stagePrefix));
    stageName = path.basename(stageByFd);
    const stageHandle = await keep(openStage(stageByFd, stageName));
    const { stage, documentRootIno } = await layOutStage(stageHandle, stageName, volumeDir, { user, wwwData, siteDir, finalDocumentRoot });

    await install.build(stage);
    await chownTree(stage.rootPath, user.uid, wwwData, new Set(install.privateFiles));
    await stageHandle.chown(user.uid, wwwData);
    await stageHandle.chmod(0o2750);
    await install.finish?.(stage);

    for (const entry of install.siteEntries) {
      await rename(path.join(stage.rootPath, "site", entry), path.join(fdPath(siteHandle), entry));
      moved.push(entry);
    }
    if (hasPlaceholder) await rm(path.join(fdPath(docHandle), "index.html"), { force: true });
    await placeDocumentRoot(stage, parentHandle, documentRootIno, site.documentRoot);
    moved.length = 0;
  } catch (e) {
    if (siteHandle) {
      for (const entry of moved) await rm(path.join(fdPath(siteHandle), entry), { recursive: true, force: true }).catch(() => {});
    }
    throw e;
  } finally {
    if (volumeHandle && stageName) await rm(path.join(fdPath(volumeHandle), stageName), { recursive: true, force: true }).catch(() => {});
    for (const h of handles) await h.close().catch(() => {});
  }
}

/** The fresh stage by its descriptor, verified as root made it: the account must not have got in first. */
async function openStage(stageByFd: string, stageName: string): Promise<FileHandle> {
  const stageHandle = await open(stageByFd, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  const stat = await stageHandle.stat();
  // What counts is root and no access for others (a setgid parent would add g+s and a group).
  if (stat.uid !== 0 || (stat.mode & 0o777) !== 0o700 || (await readdir(fdPath(stageHandle))).length !== 0) {
    await stageHandle.close();
    throw new Error(`The stage ${stageName} was replaced while it was being created; refusing to install.`);
  }
  return stageHandle;
}

/** Makes the stage's `root` and `site` directories and describes them; `documentRootIno` identifies `root` later. */
async function layOutStage(
  stageHandle: FileHandle,
  stageName: string,
  volumeDir: string,
  where: Pick<Stage, "user" | "wwwData" | "siteDir" | "finalDocumentRoot">,
): Promise<{ stage: Stage; documentRootIno: number }> {
  const rootPath = fdPath(stageHandle);
  const realPath = path.join(volumeDir, stageName);
  await mkdir(path.join(rootPath, "root"), { mode: 0o700 });
  await mkdir(path.join(rootPath, "site"), { mode: 0o700 });
  const documentRootIno = (await lstat(path.join(rootPath, "root"))).ino;
  const stage: Stage = {
    rootPath,
    realPath,
    documentRoot: { rootPath: path.join(rootPath, "root"), realPath: path.join(realPath, "root") },
    site: { rootPath: path.join(rootPath, "site"), realPath: path.join(realPath, "site") },
    ...where,
  };
  return { stage, documentRootIno };
}

/**
 * Renames the stage's `root` over the (now empty) document root: one rename, so nginx sees the
 * old directory or the app, never half of it; then checks that what landed is what was built.
 */
async function placeDocumentRoot(stage: Stage, parentHandle: FileHandle, documentRootIno: number, documentRoot: string): Promise<void> {
  const target = path.join(fdPath(parentHandle), path.basename(stage.finalDocumentRoot));
  await rename(path.join(stage.rootPath, "root"), target);
  const placed = await lstat(target);
  if (placed.ino !== documentRootIno) throw new Error(`The app's files were swapped before they reached ${documentRoot}.`);
}
