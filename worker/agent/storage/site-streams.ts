import { readStamp } from "./db-dumps";
import { siteIdSchema, snapshotNameSchema } from "../../../server/contract/storage-names";
import { check, publicInfo, type SiteContext } from "./site-context";
import { StorageError, type SiteStorage, type SnapshotMeta } from "./site-types";

// A snapshot as a byte stream, sent to or received from another node (the driver's format:
// btrfs send, or dir-stream.ts), optionally as a delta against a parent both nodes hold.

export function streamOps(ctx: SiteContext): Pick<SiteStorage, "sendSnapshot" | "receiveSnapshot"> {
  return {
    async sendSnapshot(siteId, name, parent) {
      check(siteIdSchema, siteId, "site id");
      check(snapshotNameSchema, name, "snapshot name");
      if (parent !== undefined) check(snapshotNameSchema, parent, "parent snapshot name");
      await ctx.requireMeta(siteId, name);
      if (parent !== undefined) await ctx.requireMeta(siteId, parent);
      return ctx.driver.send(ctx.snapshotDir(siteId, name), name, parent === undefined ? null : { dir: ctx.snapshotDir(siteId, parent), name: parent });
    },

    async receiveSnapshot(siteId, stream, options) {
      check(siteIdSchema, siteId, "site id");
      const name = check(snapshotNameSchema, options.name, "snapshot name");
      return ctx.lock(siteId, async () => {
        if (await ctx.readMeta(siteId, name)) throw new StorageError("ALREADY_EXISTS", `Site ${siteId} already has a snapshot ${name}.`);
        await ctx.ensureSnapshotDirs(siteId);
        await ctx.deleteLocked(siteId, name);
        const bytes = await receiveTree(ctx, siteId, name, stream, options.maxBytes);
        const stamp = await readStamp(ctx.snapshotDir(siteId, name));
        if (!stamp || stamp.name !== name) {
          await ctx.deleteLocked(siteId, name);
          throw new StorageError("INVALID", `The received tree is not snapshot ${name} of a Shoal site (its stamp is missing or names another).`);
        }
        const meta: SnapshotMeta = {
          name,
          takenAt: stamp.takenAt,
          sizeBytes: await ctx.sizeOf(siteId, name, options.sizeLater === true),
          databases: stamp.databases,
          // Files here are received, never hard-linked from the live site: no ctime shortcut.
          startedAtMs: 0,
        };
        await ctx.writeMeta(siteId, name, meta);
        return { ...publicInfo(meta), streamBytes: bytes };
      });
    },
  };
}

/** Receives the stream as snapshot `name` (without its meta yet); a refused stream is INVALID. */
async function receiveTree(ctx: SiteContext, siteId: string, name: string, stream: AsyncIterable<Buffer>, maxBytes: number): Promise<number> {
  try {
    const { bytes } = await ctx.driver.receive(stream, {
      dir: ctx.siteSnapshots(siteId),
      name,
      parentDir: async (parentName) =>
        snapshotNameSchema.safeParse(parentName).success && (await ctx.readMeta(siteId, parentName)) ? ctx.snapshotDir(siteId, parentName) : null,
      staging: () => ctx.staging("receive"),
      maxBytes,
    });
    return bytes;
  } catch (e) {
    throw new StorageError("INVALID", `The snapshot stream was refused: ${(e as Error).message}`);
  }
}
