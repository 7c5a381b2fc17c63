import { constants } from "node:fs";
import { mkdir, open, readdir, readlink, realpath, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { NodeRoot } from "../node-root";
import { siteStorage } from "../storage/site-storage";
import { platformDirName } from "../storage/volume-layout";
import { lookupSystemGroupId, readSystemUsers } from "../system-users";

// A volume per site under its account's home: a btrfs subvolume or a plain directory, made
// and deleted by the node's storage driver (../storage/site-storage.ts). Layout, for account alice and site s1:
//   home/alice/                  alice:www-data 0750
//   home/alice/sites/            root:www-data  0751   root's, so the account can't swap entries here;
//                                                       others may only pass (the home keeps them out)
//   home/alice/sites/s1/         root:root      0711   the volume (../storage/volume-layout.ts)
//   home/alice/sites/s1/files/   alice:www-data 2750   the site's files (node.siteDir); setgid keeps
//                                                       new files group www-data
//   home/alice/sites/s1/meta/    root:root      0700   the platform's: dumps, the app marker
//   home/alice/tmp/              root:alice     0710
//   home/alice/tmp/s1/     alice:alice    0700   uploads, sessions (not snapshotted)
// The agent runs as root inside directories the account can write to, so every directory it
// changes is opened without following symlinks and checked to be where it should be before it
// is chowned: a planted symlink can never hand the account some other directory.

export const placeholderHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Coming soon</title></head>
<body><h1>This site is ready</h1><p>Upload your files to replace this page.</p></body></html>
`;

export type ObservedSiteStore = { siteId: string; username: string; ready: boolean };

/** Opens `dir` (no symlink at any level) and sets its owner and mode through the descriptor. */
async function ensureDir(dir: string, uid: number, gid: number, mode: number): Promise<boolean> {
  let created = false;
  try {
    await mkdir(dir);
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    const actual = await readlink(`/proc/self/fd/${handle.fd}`);
    if (actual !== dir) throw new Error(`${dir} resolves to ${actual} (a symlink on the way); refusing to change it.`);
    await handle.chown(uid, gid);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
  return created;
}

async function isDir(p: string, uid?: number, gid?: number, mode?: number): Promise<boolean> {
  const s = await stat(p).catch(() => null);
  if (!s?.isDirectory()) return false;
  if (uid !== undefined && s.uid !== uid) return false;
  if (gid !== undefined && s.gid !== gid) return false;
  return mode === undefined || (s.mode & 0o7777) === mode;
}

/** Site directories on this node; `ready` when the site dir, its tmp and `documentRoots[id]` are in place. */
export async function observeSiteStores(node: NodeRoot, documentRoots: ReadonlyMap<string, string>): Promise<ObservedSiteStore[]> {
  const users = await readSystemUsers();
  const wwwData = await lookupSystemGroupId("www-data");
  const observed: ObservedSiteStore[] = [];
  for (const username of (await readdir(node.homeDir).catch(() => [])).sort()) {
    const user = users.get(username);
    for (const siteId of (await readdir(path.join(node.accountHome(username), "sites")).catch(() => [])).sort()) {
      const siteDir = node.siteDir(username, siteId);
      const volumeDir = node.siteVolumeDir(username, siteId);
      const documentRoot = documentRoots.get(siteId);
      const ready =
        !!user &&
        (await isDir(path.dirname(volumeDir), 0, wwwData, 0o751)) &&
        (await isDir(volumeDir, 0, 0, 0o711)) &&
        (await isDir(path.join(volumeDir, platformDirName), 0, 0, 0o700)) &&
        (await isDir(siteDir, user.uid, wwwData, 0o2750)) &&
        (await isDir(node.siteTmpDir(username, siteId), user.uid, user.gid, 0o700)) &&
        (documentRoot === undefined || (await isDir(path.join(siteDir, documentRoot))));
      observed.push({ siteId, username, ready });
    }
  }
  return observed;
}

export async function ensureSiteStore(
  node: NodeRoot,
  site: { siteId: string; username: string; documentRoot: string },
): Promise<void> {
  const user = (await readSystemUsers()).get(site.username);
  if (!user) throw new Error(`The system user "${site.username}" does not exist; the account must be created first.`);
  const wwwData = await lookupSystemGroupId("www-data");
  if (wwwData === undefined) throw new Error("The www-data group is missing: install nginx (scripts/node-lib.sh).");
  const home = node.accountHome(site.username);
  if (!(await isDir(home))) throw new Error(`The home directory ${home} does not exist; the account must be created first.`);

  await ensureDir(path.join(home, "sites"), 0, wwwData, 0o751);
  const siteDir = node.siteDir(site.username, site.siteId);
  // The driver makes the volume, in the current layout (or converts one of the earlier layout),
  // with the customer's part siteDir set as the account's and the platform's part root's.
  await siteStorage(node).ensureSiteVolume({ username: site.username, siteId: site.siteId });
  await ensureDir(siteDir, user.uid, wwwData, 0o2750);
  await ensureDir(path.join(home, "tmp"), 0, user.gid, 0o710);
  await ensureDir(node.siteTmpDir(site.username, site.siteId), user.uid, user.gid, 0o700);

  let dir = siteDir;
  let createdDocumentRoot = false;
  for (const segment of site.documentRoot.split("/")) {
    dir = path.join(dir, segment);
    // An existing directory is the customer's: leave its owner and mode alone.
    if (await isDir(dir)) continue;
    createdDocumentRoot = await ensureDir(dir, user.uid, wwwData, 0o2750);
  }
  // The placeholder only greets a new site; a customer who deletes it does not get it back.
  if (createdDocumentRoot) {
    const index = path.join(dir, "index.html");
    const handle = await open(index, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o640);
    try {
      await handle.writeFile(placeholderHtml);
      await handle.chown(user.uid, wwwData);
    } finally {
      await handle.close();
    }
  }
}

/**
 * Deletes the site's directory, its snapshots and its tmp; the vhost and pool must already be
 * gone. keepSnapshots: a site demoted to a replica here (a move) keeps them as the incremental base.
 */
export async function removeSiteStore(
  node: NodeRoot,
  site: { siteId: string; username: string },
  options: { keepSnapshots?: boolean } = {},
): Promise<void> {
  await siteStorage(node).removeSiteVolume(site, options);
  for (const dir of [node.siteTmpDir(site.username, site.siteId)]) {
    const real = await realpath(dir).catch(() => null);
    if (real === null) continue;
    if (real !== dir) throw new Error(`${dir} resolves to ${real} (a symlink on the way); refusing to delete it.`);
    await rm(dir, { recursive: true, force: true });
  }
}
