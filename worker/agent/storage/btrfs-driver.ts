import { lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { inheritArgs } from "./btrfs-quota";
import { startTool, runTool } from "./spawn-tool";
import type { VolumeDriver } from "./volume-driver";

// Sites as btrfs subvolumes: the node's homes are on the btrfs mount (node-root.ts), so a site's
// directory is a subvolume at its usual place, created, snapshotted and deleted through the
// descriptor of its verified parent (the child process reaches it as /proc/self/fd/3), never
// through a path the account could redirect. Snapshots are read-only subvolumes in
// <root>/store/.snapshots/<siteId>/<name>; replication is `btrfs send [-p parent]` / `btrfs
// receive`, streamed through the agents' API. Each site's subvolumes are made in the site's quota
// group (btrfs-quota.ts), so its disk use can be read off the group.

const btrfs = "/usr/bin/btrfs";

async function subvolumeFlags(dir: string): Promise<{ readonly: boolean; received: boolean }> {
  const out = await runTool(btrfs, ["subvolume", "show", dir]);
  return {
    readonly: /^\s*Flags:\s+.*readonly/m.test(out),
    received: /^\s*Received UUID:\s+[0-9a-f-]{36}\s*$/m.test(out),
  };
}

async function deleteSubvolume(dir: string): Promise<void> {
  if (!(await lstat(dir).catch(() => null))) return;
  try {
    await runTool(btrfs, ["subvolume", "delete", "--commit-after", dir]);
  } catch (e) {
    // A subvolume the account nested inside its site (any user may create one) blocks the
    // delete; root can remove the whole tree, nested empty subvolumes included, with rmdir.
    if (!(await lstat(dir).catch(() => null))) return;
    await rm(dir, { recursive: true, force: true }).catch(() => {
      throw e;
    });
  }
}

/**
 * Runs `make(inherit)` with the site's quota group as `-i` (nothing while quotas are off); a group
 * that vanished since it was last seen is made again and the call tried once more.
 */
async function inGroup(mount: string, siteId: string, make: (inherit: string[]) => Promise<unknown>): Promise<void> {
  try {
    await make(await inheritArgs(mount, siteId));
  } catch (e) {
    const inherit = await inheritArgs(mount, siteId, true);
    if (inherit.length === 0) throw e;
    await make(inherit);
  }
}

/** The driver for a node whose btrfs file system is mounted at `mount` (its storeDir). */
export const btrfsDriver = (mount: string): VolumeDriver => ({
  kind: "btrfs",
  async createVolume(sites, name) {
    await inGroup(mount, name, (inherit) => runTool(btrfs, ["subvolume", "create", ...inherit, `/proc/self/fd/3/${name}`], { fds: [sites.fd] }));
  },
  deleteVolume: deleteSubvolume,
  async freeze(site, dest, _previous, siteId) {
    await inGroup(mount, siteId, (inherit) => runTool(btrfs, ["subvolume", "snapshot", "-r", ...inherit, "/proc/self/fd/3", dest], { fds: [site.fd] }));
  },
  async thaw(snapshot, dest, siteId) {
    await inGroup(mount, siteId, (inherit) => runTool(btrfs, ["subvolume", "snapshot", ...inherit, snapshot, dest]));
  },
  deleteSnapshot: deleteSubvolume,
  send(dir, _name, parent) {
    const args = ["send", "-q", ...(parent ? ["-p", parent.dir] : []), dir];
    const tool = startTool(btrfs, args, { stdout: "pipe" });
    const out = new PassThrough();
    // The stream fails (and the HTTP response is cut) when btrfs send does, so a receiver never
    // mistakes a failed send for a short snapshot.
    pipeline(tool.stdout!, out, { end: false }).then(
      () => tool.done.then(() => out.end(), (e: unknown) => out.destroy(e as Error)),
      (e: unknown) => {
        tool.child.kill("SIGKILL");
        out.destroy(e as Error);
      },
    );
    out.on("close", () => {
      if (tool.child.exitCode === null) tool.child.kill("SIGKILL");
    });
    return out;
  },
  async receive(stream, target) {
    const final = path.join(target.dir, target.name);
    const before = new Set(await readdir(target.dir));
    // -e: stop at the stream's end marker; --chroot: the stream can only create things inside
    // the site's snapshot directory, whatever paths it names.
    const tool = startTool(btrfs, ["receive", "-e", "--chroot", target.dir], { stdin: "pipe", stdout: "pipe" });
    tool.stdout!.resume();
    let bytes = 0;
    const counted = Readable.from(
      (async function* () {
        for await (const chunk of stream) {
          bytes += chunk.length;
          if (bytes > target.maxBytes) throw new Error(`The stream is larger than ${target.maxBytes} bytes.`);
          yield chunk;
        }
      })(),
    );
    const cleanup = async () => {
      for (const entry of await readdir(target.dir)) {
        if (!before.has(entry)) await deleteSubvolume(path.join(target.dir, entry)).catch(() => undefined);
      }
    };
    try {
      await Promise.all([
        pipeline(counted, tool.stdin!).catch((e: unknown) => {
          tool.child.kill("SIGKILL");
          throw e;
        }),
        tool.done,
      ]);
      const created = (await readdir(target.dir)).filter((entry) => !before.has(entry));
      if (created.length !== 1 || created[0] !== target.name) {
        throw new Error(`The stream holds ${created.join(", ") || "nothing"}, not snapshot ${target.name}.`);
      }
      const flags = await subvolumeFlags(final);
      if (!flags.readonly || !flags.received) throw new Error(`The received ${target.name} is not a complete read-only snapshot.`);
      return { bytes };
    } catch (e) {
      await cleanup();
      throw e;
    }
  },
});
