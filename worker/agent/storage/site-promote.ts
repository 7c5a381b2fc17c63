import { lstat, rm, stat } from "node:fs/promises";
import path from "node:path";
import { unixUsernameSchema } from "../../../server/domain/unix-username";
import { mariadbPid, startMariadb } from "../drivers/mariadb";
import { lookupSystemGroupId, readSystemUsers, type SystemUser } from "../system-users";
import { activateStandbyMark, databaseExists, dumpFileIn, loadDump, readPromotedMarkInfo, readStamp, sameBytes, writePromotedMark } from "./db-dumps";
import { siteIdSchema, snapshotNameSchema } from "../../../server/contract/storage-names";
import { ensureDirOwned, openDirChecked, withHandle } from "./safe-fs";
import { ensureVolumeLayout, snapshotTreeRoot } from "./volume-layout";
import { check, publicInfo, type SiteContext } from "./site-context";
import { dumpsToLoad } from "./site-restore";
import { snapshotLocked } from "./site-snapshots";
import { StorageError, type PromoteResult, type SiteStorage, type SnapshotMeta } from "./site-types";
import { deleteReplacedLater, swapIn } from "./site-volumes";

// Making a snapshot the site's live volume on this node: on a replica (no live volume yet), over
// a standby (a planned move's staged copy), or over the live site itself (kept first). See
// SiteStorage.promoteSnapshot for what each case keeps and loads.

type Options = Parameters<SiteStorage["promoteSnapshot"]>[2] & {};
type Standby = { name: string; loaded: string[] };
/** What is live here before the promote: kept as a snapshot, or a standby whose loaded dumps are reused. */
type Replacing = { kept: SnapshotMeta | null; standbyLoaded: Standby | null };

export function promoteOps(ctx: SiteContext): Pick<SiteStorage, "promoteSnapshot"> {
  return {
    async promoteSnapshot(siteId, name, options = {}) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      if (options.keepCurrentAs !== undefined) check(snapshotNameSchema, options.keepCurrentAs, "snapshot name");
      return ctx.lock(siteId, () => promoteLocked(ctx, siteId, name, options));
    },
  };
}

async function promoteLocked(ctx: SiteContext, siteId: string, name: string, options: Options): Promise<PromoteResult> {
  const started = Date.now();
  // Everything that could refuse it is checked before anything changes.
  const { target, databases, dumps } = await dumpsToLoad(ctx, siteId, name, options.databases);
  const user = await accountOf(ctx, siteId, name);
  const wwwData = await lookupSystemGroupId("www-data");
  if (wwwData === undefined) throw new Error("The www-data group is missing: install nginx (scripts/node-lib.sh).");
  const where = await ctx.locate(siteId);
  if (where && where.username !== user.name) {
    throw new StorageError("CONFLICT", `Site ${siteId} is live here under account ${where.username}, but snapshot ${name} is account ${user.name}'s.`);
  }
  const replacing = where ? await examineLive(ctx, siteId, name, options, databases, dumps) : { kept: null, standbyLoaded: null };
  if (replacing === "activated") {
    const total = Date.now() - started;
    return { promoted: publicInfo(target), kept: null, username: user.name, unchangedDatabases: [...dumps.keys()].sort(), timingsMs: { keepCurrent: 0, files: total, databases: 0, total } };
  }
  // Whatever happens next, the databases no longer hold what a standby record says.
  await rm(ctx.standbyFile(siteId), { force: true });
  const unchanged = replacing.standbyLoaded ? await unchangedDumps(ctx, siteId, name, replacing.standbyLoaded, dumps) : new Set<string>();
  const keptAt = Date.now();
  const old = await putInPlace(ctx, siteId, name, { user, wwwData, replace: where !== null, standby: options.standby === true });
  const switched = Date.now();
  try {
    await loadDatabases(ctx, siteId, name, dumps, unchanged, options.standby === true);
  } finally {
    if (old) deleteReplacedLater(ctx, siteId, old);
  }
  const loaded = Date.now();
  return {
    promoted: publicInfo(target),
    kept: replacing.kept ? publicInfo(replacing.kept) : null,
    username: user.name,
    unchangedDatabases: [...unchanged].sort(),
    timingsMs: { keepCurrent: keptAt - started, files: switched - keptAt, databases: loaded - switched, total: loaded - started },
  };
}

/**
 * What the live volume here is and what to do with it before it is replaced: a standby is kept
 * by nothing (it is a copy of a snapshot this node holds), and is activated where it is when it
 * already is snapshot `name` with its databases loaded ("activated"); a live site is kept as
 * snapshot keepCurrentAs unless it is a repeat of this very promote.
 */
async function examineLive(
  ctx: SiteContext,
  siteId: string,
  name: string,
  options: Options,
  databases: string[],
  dumps: Map<string, string>,
): Promise<Replacing | "activated"> {
  const { sites, site } = await ctx.openSite(siteId);
  const markInfo = await readPromotedMarkInfo(site).finally(async () => {
    await site.close();
    await sites.close();
  });
  const mark = markInfo?.name ?? null;
  if (options.standby && !markInfo?.standby) {
    throw new StorageError("CONFLICT", `Site ${siteId} has a live volume on this node that is not a standby: a standby is only staged where the site is not served.`);
  }
  if (markInfo?.standby) {
    const standbyLoaded = options.standby ? null : ((await ctx.readStandby(siteId).then((st) => (st?.name === mark ? st : null))) ?? null);
    if (standbyLoaded && mark === name && (await activateInPlace(ctx, siteId, name, standbyLoaded, dumps))) return "activated";
    return { kept: null, standbyLoaded };
  }
  if (mark === name) {
    // A repeat (the answer to the first promote was lost): the live volume is that snapshot
    // plus at most what happened since, which promoting it again means to replace.
    return { kept: null, standbyLoaded: null };
  }
  if (options.keepCurrentAs === undefined) {
    throw new StorageError("INVALID", `Site ${siteId} has a live volume on this node: keepCurrentAs must name the snapshot that keeps its current state.`);
  }
  // The live databases too, those that exist here (a divergent copy after a netsplit).
  const live: string[] = [];
  for (const db of databases) if ((await mariadbPid(ctx.node)) && (await databaseExists(ctx.node, db))) live.push(db);
  return { kept: { ...(await snapshotLocked(ctx, siteId, options.keepCurrentAs, live)), startedAtMs: 0 }, standbyLoaded: null };
}

/**
 * When the standby is this very snapshot with all its databases loaded (a move's final delta
 * found nothing changed), it goes live where it is, with no second copy of the files.
 */
async function activateInPlace(ctx: SiteContext, siteId: string, name: string, standby: Standby, dumps: Map<string, string>): Promise<boolean> {
  if (![...dumps.keys()].every((d) => standby.loaded.includes(d))) return false;
  for (const d of dumps.keys()) if (!(await databaseExists(ctx.node, d))) return false;
  const opened = await ctx.openSite(siteId);
  try {
    await activateStandbyMark(opened.site, name);
  } finally {
    await opened.site.close();
    await opened.sites.close();
  }
  await rm(ctx.standbyFile(siteId), { force: true });
  return true;
}

/**
 * The databases whose dump in snapshot `name` is the one the standby loaded: by the dumps'
 * digests in the two stamps when both have them (no reading both dumps while a move holds
 * requests), else by their bytes.
 */
async function unchangedDumps(ctx: SiteContext, siteId: string, name: string, standby: Standby, dumps: Map<string, string>): Promise<Set<string>> {
  const unchanged = new Set<string>();
  const [was, now] = await Promise.all([readStamp(ctx.snapshotDir(siteId, standby.name)), readStamp(ctx.snapshotDir(siteId, name))]);
  for (const [db, file] of dumps) {
    if (!standby.loaded.includes(db)) continue;
    const [a, b] = [was?.digests?.[db], now?.digests?.[db]];
    if (a !== undefined && b !== undefined) {
      if (a === b) unchanged.add(db);
      continue;
    }
    const before = await dumpFileIn(ctx.snapshotDir(siteId, standby.name), db).catch(() => null);
    if (before && (await sameBytes(before, file))) unchanged.add(db);
  }
  return unchanged;
}

/**
 * A writable copy of snapshot `name` made the site's live directory, owned as the account's
 * store; answers where the replaced live directory went (in staging), if there was one.
 */
async function putInPlace(
  ctx: SiteContext,
  siteId: string,
  name: string,
  how: { user: SystemUser; wwwData: number; replace: boolean; standby: boolean },
): Promise<string | null> {
  const { user, wwwData } = how;
  // The account's directories, as ensureSiteStore (drivers/site-store.ts) makes them, so the
  // converge that then serves the site finds its store ready and only adds the rest.
  const sitesDir = path.dirname(ctx.node.siteVolumeDir(user.name, siteId));
  await ensureDirOwned(sitesDir, 0, wwwData, 0o751);
  await ensureDirOwned(path.join(ctx.node.accountHome(user.name), "tmp"), 0, user.gid, 0o710);
  await ensureDirOwned(ctx.node.siteTmpDir(user.name, siteId), user.uid, user.gid, 0o700);
  const fresh = ctx.staging("promote");
  await ctx.driver.thaw(ctx.snapshotDir(siteId, name), fresh, siteId);
  const sites = await openDirChecked(sitesDir);
  try {
    await ownAsStore(ctx, fresh, name, how);
    const old = how.replace ? ctx.staging("replaced") : null;
    await swapIn(ctx, sites, siteId, fresh, old);
    return old;
  } finally {
    await sites.close();
  }
}

/**
 * Brings the copy to the current volume layout with its customer part the account's (what makes
 * the store "ready" for converge, drivers/site-store.ts) and marks which snapshot it is. Files inside keep the numeric
 * uid/gid they had on the node the snapshot came from (both drivers' streams carry numbers):
 * right while the nodes share one /etc/passwd, as the local cluster's do. Separate machines
 * would need receiveSnapshot to map them (sender's uid -> username -> this node's uid) before
 * writing the meta; that mapping does not exist.
 */
async function ownAsStore(ctx: SiteContext, fresh: string, name: string, how: { user: SystemUser; wwwData: number; standby: boolean }): Promise<void> {
  try {
    await withHandle(openDirChecked(fresh), (volume) => ensureVolumeLayout(volume, { uid: how.user.uid, gid: how.wwwData }));
    await writePromotedMark(fresh, name, { standby: how.standby });
  } catch (e) {
    await ctx.driver.deleteVolume(fresh).catch(() => undefined);
    throw e;
  }
}

/**
 * Loads the dumps, skipping those `unchanged` from the standby this replaced: that database is
 * this very dump, and only the move's target converge (users and grants, no rows) touched it
 * since. Those loaded after all are taken out of `unchanged`. MariaDB is started first: a replica
 * node may never have run it. A failed load leaves the files promoted; the promote can be repeated.
 */
async function loadDatabases(ctx: SiteContext, siteId: string, name: string, dumps: Map<string, string>, unchanged: Set<string>, standby: boolean): Promise<void> {
  if (dumps.size > 0) await startMariadb(ctx.node);
  for (const [db, file] of dumps) {
    if (unchanged.has(db) && (await databaseExists(ctx.node, db))) continue;
    unchanged.delete(db);
    await loadDump(ctx.node, db, file);
  }
  if (standby) await ctx.writeStandby(siteId, { name, loaded: [...dumps.keys()] });
}

/**
 * The account a snapshot's files belong to, which must exist on this node: by the snapshot's
 * stamp, or (a snapshot whose stamp has no username) by the owner of its top directory.
 */
async function accountOf(ctx: SiteContext, siteId: string, name: string): Promise<SystemUser> {
  const stamp = await readStamp(ctx.snapshotDir(siteId, name));
  const users = await readSystemUsers();
  let username = stamp?.username;
  if (username !== undefined && !unixUsernameSchema.safeParse(username).success) {
    throw new StorageError("INVALID", `Snapshot ${name} names an invalid account "${username}".`);
  }
  if (username === undefined) {
    const uid = (await lstat((await snapshotTreeRoot(ctx.snapshotDir(siteId, name))).dir)).uid;
    username = [...users.values()].find((u) => u.uid === uid && u.comment.startsWith("Shoal account "))?.name;
    if (username === undefined) {
      throw new StorageError("CONFLICT", `The files of snapshot ${name} belong to uid ${uid}, which is no Shoal account on this node; converge a spec that lists the site's account first.`);
    }
  }
  const user = users.get(username);
  const home = await stat(ctx.node.accountHome(username)).catch(() => null);
  if (!user || !user.comment.startsWith("Shoal account ") || !home?.isDirectory() || home.uid !== user.uid) {
    throw new StorageError(
      "CONFLICT",
      `Account ${username} of site ${siteId} does not exist on this node; converge a spec that lists the site in replicas (with its account) before promoting it.`,
    );
  }
  return user;
}
