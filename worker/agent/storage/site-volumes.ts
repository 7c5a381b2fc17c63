import { lstat, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { siteIdSchema } from "../../../server/contract/storage-names";
import { errno, fdPath, openDirAt, openDirChecked, withHandle } from "./safe-fs";
import { ensureVolumeLayout } from "./volume-layout";
import { check, describeError, type SiteContext } from "./site-context";
import type { SiteStorage } from "./site-types";
import { processLogger } from "../../../server/observability/logger";

// A site's live volume (node.siteVolumeDir: a btrfs subvolume or a plain directory): making it,
// deleting it, and swapping a prepared copy in where it is.

export function volumeOps(ctx: SiteContext): Pick<SiteStorage, "ensureSiteVolume" | "removeSiteVolume"> {
  return {
    async ensureSiteVolume(site) {
      check(siteIdSchema, site.siteId, "site id");
      return ctx.lock(site.siteId, async () => {
        const sites = await openDirChecked(path.dirname(ctx.node.siteVolumeDir(site.username, site.siteId)));
        try {
          const created = !(await lstat(fdPath(sites, site.siteId)).catch(() => null));
          if (created) await ctx.driver.createVolume(sites, site.siteId);
          // A new volume gets its two parts; one of the earlier layout is converted.
          const volume = await openDirAt(sites, site.siteId);
          try {
            await ensureVolumeLayout(volume, await ctx.volumeOwner(site.username));
          } finally {
            await volume.close();
          }
          return { created };
        } finally {
          await sites.close();
        }
      });
    },

    async removeSiteVolume(site, options = {}) {
      check(siteIdSchema, site.siteId, "site id");
      return ctx.lock(site.siteId, async () => {
        await removeLiveVolume(ctx, site);
        if (!options.keepSnapshots) await removeAllSnapshots(ctx, site.siteId);
      });
    },
  };
}

async function removeLiveVolume(ctx: SiteContext, site: { username: string; siteId: string }): Promise<void> {
  const sitesDir = path.dirname(ctx.node.siteVolumeDir(site.username, site.siteId));
  if (!(await lstat(sitesDir).catch(() => null))) return;
  const sites = await openDirChecked(sitesDir);
  try {
    // Out of the account's reach first (a rename), then deleted where nothing can change it.
    const doomed = ctx.staging("remove");
    try {
      await rename(fdPath(sites, site.siteId), doomed);
    } catch (e) {
      if (errno(e) !== "ENOENT") throw e;
    }
    await ctx.driver.deleteVolume(doomed);
  } finally {
    await sites.close();
  }
}

async function removeAllSnapshots(ctx: SiteContext, siteId: string): Promise<void> {
  for (const name of await readdir(ctx.siteSnapshots(siteId)).catch(() => [] as string[])) {
    if (name !== ".meta") await ctx.deleteLocked(siteId, name);
  }
  await rm(ctx.siteSnapshots(siteId), { recursive: true, force: true });
}

/**
 * Puts the prepared copy `fresh` (in staging) in place as the site's live directory in the open
 * `sites` directory: two renames, microseconds apart. Linux has renameat2(RENAME_EXCHANGE) but
 * neither Node nor Debian 12's coreutils expose it; restore and promote callers pause the site
 * at the edges around this anyway. With `replace`, the live directory moves to `old` (in
 * staging) first and is put back if the second rename fails. `fresh` is deleted on failure.
 */
export async function swapIn(ctx: SiteContext, sites: FileHandle, siteId: string, fresh: string, old: string | null): Promise<void> {
  try {
    if (old === null) {
      await rename(fresh, fdPath(sites, siteId));
      return;
    }
    await rename(fdPath(sites, siteId), old);
    try {
      await rename(fresh, fdPath(sites, siteId));
    } catch (e) {
      await rename(old, fdPath(sites, siteId));
      throw e;
    }
  } catch (e) {
    await ctx.driver.deleteVolume(fresh).catch(() => undefined);
    throw e;
  }
}

/**
 * Brings a writable copy of a snapshot (still in root's staging, out of the account's reach) to
 * the current volume layout, its customer part the account's; deleted if that fails.
 */
export async function convertCopy(ctx: SiteContext, fresh: string, username: string): Promise<void> {
  try {
    const owner = await ctx.volumeOwner(username);
    await withHandle(openDirChecked(fresh), (volume) => ensureVolumeLayout(volume, owner));
  } catch (e) {
    await ctx.driver.deleteVolume(fresh).catch(() => undefined);
    throw e;
  }
}

/**
 * Deletes a replaced live directory from staging a few seconds after the caller answers, in the
 * site's queue: a move's held requests wait for the answer and then for the release, whose
 * route file's fsync a btrfs delete would slow.
 */
export function deleteReplacedLater(ctx: SiteContext, siteId: string, replaced: string): void {
  const remove = () =>
    ctx.lock(siteId, () => ctx.driver.deleteVolume(replaced)).catch((e: unknown) =>
      processLogger("agent").error({ siteId, volume: replaced }, `Deleting the replaced volume of site ${siteId} (${replaced}): ${describeError(e)}`),
    );
  setTimeout(() => void remove(), 3_000).unref();
}
