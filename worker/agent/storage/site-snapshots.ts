import { randomBytes } from "node:crypto";
import { lstat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { btrfsUnchangedSince } from "./btrfs-unchanged";
import { hasDiskLimit } from "./account-quota";
import { withQuotaHeadroom } from "./btrfs-quota";
import { databaseExists, dumpsCurrent, writeDumps } from "./db-dumps";
import { databaseFilesBytes } from "./usage";
import { databaseNameSchema, siteIdSchema, snapshotNameSchema } from "../../../server/contract/storage-names";
import { check, publicInfo, type SiteContext } from "./site-context";
import { StorageError, type SiteStorage } from "./site-types";

// Taking, listing and deleting a site's snapshots: each holds the site's files and a consistent
// dump of the databases it was taken with.

export function snapshotOps(ctx: SiteContext): Pick<SiteStorage, "createSnapshot" | "listSnapshots" | "deleteSnapshot"> {
  return {
    async createSnapshot(siteId, name, options = {}) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      const databases = [...new Set((options.databases ?? []).map((db) => check(databaseNameSchema, db, "database name")))].sort();
      const reuse = options.reuseIfUnchanged === undefined ? undefined : check(snapshotNameSchema, options.reuseIfUnchanged, "snapshot name");
      return ctx.lock(siteId, async () => {
        const unchanged = reuse === undefined ? null : await unchangedSince(ctx, siteId, reuse, databases);
        if (unchanged?.info) return unchanged.info;
        const made = await snapshotLocked(ctx, siteId, name, databases, options.sizeLater === true);
        return unchanged?.why ? { ...made, notReused: unchanged.why } : made;
      });
    },

    async listSnapshots(siteId) {
      check(siteIdSchema, siteId, "site id");
      return (await ctx.list(siteId)).map(publicInfo);
    },

    async deleteSnapshot(siteId, name) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      return ctx.lock(siteId, async () => {
        await ctx.requireMeta(siteId, name);
        await ctx.deleteLocked(siteId, name);
      });
    },
  };
}

/**
 * Takes snapshot `name` of the live site with dumps of `databases`; the caller holds the site's
 * lock. An unfinished snapshot of this name (a crash half-way) is thrown away and taken again.
 */
export async function snapshotLocked(ctx: SiteContext, siteId: string, name: string, databases: string[], sizeLater = false) {
  if (await ctx.readMeta(siteId, name)) throw new StorageError("ALREADY_EXISTS", `Site ${siteId} already has a snapshot ${name}.`);
  for (const db of databases) {
    if (!(await databaseExists(ctx.node, db))) throw new StorageError("NOT_FOUND", `Database ${db} does not exist on this node.`);
  }
  const { sites, site, username } = await ctx.openSite(siteId);
  try {
    await ctx.ensureSnapshotDirs(siteId);
    await ctx.deleteLocked(siteId, name);
    const started = Date.now();
    const startedAtMs = await fileSystemNow(ctx.node.storageStagingDir);
    const takenAt = new Date().toISOString();
    const dumps = await dumpsWithinQuota(ctx, username, siteId, databases, () => writeDumps(ctx.node, site, { format: 1, name, takenAt, databases, username }));
    const dumped = Date.now();
    const previous = (await ctx.list(siteId)).at(-1);
    const previousFrozen = previous ? { dir: ctx.snapshotDir(siteId, previous.name), startedAtMs: previous.startedAtMs } : null;
    await ctx.driver.freeze(site, ctx.snapshotDir(siteId, name), previousFrozen, siteId);
    const frozen = Date.now();
    const meta = { name, takenAt, sizeBytes: await ctx.sizeOf(siteId, name, sizeLater), databases, startedAtMs };
    await ctx.writeMeta(siteId, name, meta);
    // keptDumps: databases no binlog event touched since the last snapshot, not dumped again.
    return { ...publicInfo(meta), timingsMs: { dump: dumped - started, snapshot: frozen - dumped }, keptDumps: dumps.kept };
  } finally {
    await site.close();
    await sites.close();
  }
}

/**
 * Root writes the dumps and the stamp into the live volume, which counts against the account's
 * disk limit on btrfs: the limit is lifted for that long by a bound on what the dumps can take
 * (twice MariaDB's files, SQL text of binary data being larger, plus room for the stamp), so an
 * account at its limit is still snapshotted (btrfs-quota.ts, withQuotaHeadroom). An account
 * without a limit costs one failed file read.
 */
async function dumpsWithinQuota<T>(ctx: SiteContext, username: string, siteId: string, databases: string[], write: () => Promise<T>): Promise<T> {
  if (ctx.driver.kind !== "btrfs" || !(await hasDiskLimit(ctx.node, username))) return write();
  const bytes = 2 * (await databaseFilesBytes(ctx.node, databases)) + 8 * 1024 ** 2;
  return withQuotaHeadroom(ctx.node.storeDir, siteId, bytes, write);
}

/**
 * Snapshot `name`'s info when the site is as it left it (see createSnapshot's
 * reuseIfUnchanged), else why not (said in the new snapshot's answer).
 */
async function unchangedSince(ctx: SiteContext, siteId: string, name: string, databases: string[]) {
  if (ctx.driver.kind !== "btrfs") return { why: "the directory driver cannot tell" };
  const started = Date.now();
  const newest = (await ctx.list(siteId)).at(-1);
  if (!newest || newest.name !== name) return { why: `${newest?.name ?? "none"} is this node's newest snapshot of the site` };
  if (databases.some((d) => !newest.databases.includes(d))) return { why: `${name} lacks a database` };
  const { sites, site } = await ctx.openSite(siteId);
  try {
    if (!(await btrfsUnchangedSince(ctx.node.storeDir, site, ctx.snapshotDir(siteId, name)))) return { why: "files changed" };
    const filesChecked = Date.now();
    if (!(await dumpsCurrent(ctx.node, site, name, databases))) return { why: "a database changed" };
    return { info: { ...publicInfo(newest), timingsMs: { dump: Date.now() - filesChecked, snapshot: filesChecked - started }, keptDumps: databases, reused: true } };
  } finally {
    await site.close();
    await sites.close();
  }
}

/**
 * "Now" by the file system's clock: the ctime of a file made now. The next snapshot compares its
 * files' ctimes with this (tree.ts, sameFileAsBefore), so both sides come from the same clock.
 */
async function fileSystemNow(dir: string): Promise<number> {
  const marker = path.join(dir, `clock-${randomBytes(6).toString("hex")}`);
  await writeFile(marker, "", { flag: "wx", mode: 0o600 });
  try {
    return (await lstat(marker)).ctimeMs;
  } finally {
    await unlink(marker);
  }
}
