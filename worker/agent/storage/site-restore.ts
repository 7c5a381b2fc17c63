import { dumpFileIn, loadDump, MissingDumpError } from "./db-dumps";
import { databaseNameSchema, siteIdSchema, snapshotNameSchema } from "../../../server/contract/storage-names";
import { check, publicInfo, type SiteContext } from "./site-context";
import { snapshotLocked } from "./site-snapshots";
import { StorageError, type SiteStorage } from "./site-types";
import { convertCopy, swapIn } from "./site-volumes";

// Rolling a site back to one of its snapshots, files and databases, keeping the state before as
// a new snapshot so that the rollback can itself be undone.

export function restoreOps(ctx: SiteContext): Pick<SiteStorage, "restoreSnapshot"> {
  return {
    async restoreSnapshot(siteId, name, options) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      check(snapshotNameSchema, options.keepCurrentAs, "snapshot name");
      return ctx.lock(siteId, async () => {
        const started = Date.now();
        // Everything that could refuse it is checked before anything changes.
        const { target, databases, dumps } = await dumpsToLoad(ctx, siteId, name, options.databases);
        const kept = await snapshotLocked(ctx, siteId, options.keepCurrentAs, databases);
        const keptAt = Date.now();
        const old = await thawAndSwapIn(ctx, siteId, name);
        const switched = Date.now();
        try {
          // A failure here leaves the files switched and a database half loaded: the caller
          // retries the restore, or restores keepCurrentAs to go back to where it started.
          for (const [db, file] of dumps) await loadDump(ctx.node, db, file);
        } finally {
          await ctx.driver.deleteVolume(old);
        }
        const loaded = Date.now();
        return {
          restored: publicInfo(target),
          kept: publicInfo({ ...kept, startedAtMs: 0 }),
          timingsMs: { keepCurrent: keptAt - started, files: switched - keptAt, databases: loaded - switched, total: Date.now() - started },
        };
      });
    },
  };
}

/** Replaces the live site by a writable copy of snapshot `name`; answers where the old one went (in staging). */
async function thawAndSwapIn(ctx: SiteContext, siteId: string, name: string): Promise<string> {
  const fresh = ctx.staging("restore");
  await ctx.driver.thaw(ctx.snapshotDir(siteId, name), fresh, siteId);
  const old = ctx.staging("replaced");
  const { sites, site, username } = await ctx.openSite(siteId);
  try {
    await site.close();
    // A snapshot of the earlier layout comes back converted, before anyone can reach it.
    await convertCopy(ctx, fresh, username);
    await swapIn(ctx, sites, siteId, fresh, old);
  } finally {
    await sites.close();
  }
  return old;
}

/** The snapshot's meta, the databases to load (its own unless given) and each one's dump file. */
export async function dumpsToLoad(ctx: SiteContext, siteId: string, name: string, only?: string[]) {
  const target = await ctx.requireMeta(siteId, name);
  const databases = [...new Set((only ?? target.databases).map((db) => check(databaseNameSchema, db, "database name")))].sort();
  const dumps = new Map<string, string>();
  for (const db of databases) {
    try {
      dumps.set(db, await dumpFileIn(ctx.snapshotDir(siteId, name), db));
    } catch (e) {
      if (e instanceof MissingDumpError) throw new StorageError("INVALID", e.message);
      throw e;
    }
  }
  return { target, databases, dumps };
}
