import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { sendDirSnapshot, receiveDirSnapshot } from "./dir-stream";
import { fdPath, openDirChecked, withHandle } from "./safe-fs";
import { copyTree } from "./tree";
import type { VolumeDriver } from "./volume-driver";

// The portable driver: plain directories. A snapshot is a copy in which every file unchanged
// since the previous snapshot is a hard link to that snapshot's file (the rsync --link-dest
// idea), so it costs only what changed. A snapshot never shares an inode with the live site:
// linking live files would let an in-place write to the site change its past. Snapshots are
// read-only by permission: they sit in <root>/snapshots (root's, 0700), where no account or
// service user can reach them, and the agent never writes into one after it is made. A restore
// copies (reflinks where the file system can) a snapshot into staging and swaps it in by rename.

export const dirDriver: VolumeDriver = {
  kind: "dir",
  async createVolume(sites, name) {
    await mkdir(fdPath(sites, name), { mode: 0o700 });
  },
  async deleteVolume(dir) {
    await rm(dir, { recursive: true, force: true });
  },
  async freeze(site, dest, previous) {
    const temp = `${dest}.partial`;
    await rm(temp, { recursive: true, force: true });
    await copyTree(site, temp, previous ? { dir: previous.dir, startedAtMs: previous.startedAtMs } : null);
    await rename(temp, dest);
  },
  async thaw(snapshot, dest) {
    await withHandle(openDirChecked(snapshot), (src) => copyTree(src, dest));
  },
  async deleteSnapshot(dir) {
    await rm(dir, { recursive: true, force: true });
  },
  send(dir, name, parent) {
    return sendDirSnapshot(dir, name, parent);
  },
  async receive(stream, target) {
    const temp = target.staging();
    try {
      const { bytes } = await receiveDirSnapshot(stream, temp, { name: target.name, parentDir: target.parentDir, maxBytes: target.maxBytes });
      await rename(temp, path.join(target.dir, target.name));
      return { bytes };
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  },
};
