import type { FileHandle } from "node:fs/promises";
import { runTool } from "./spawn-tool";

// Whether a live btrfs subvolume has changed at all since a read-only snapshot of it was taken,
// without walking it: after a commit of everything pending (`btrfs filesystem sync`), a
// subvolume's Generation is the last transaction that changed its tree (a file's data or
// metadata, a link, a directory, even an atime), and taking a snapshot sets it to the snapshot's
// "Gen at creation". Equal means nothing changed since; the snapshot must be of this very
// subvolume (its Parent UUID), and the newest one of it, else the two are not comparable.
// False whenever anything cannot be read: the caller then takes a snapshot as usual.

const btrfs = "/usr/bin/btrfs";

function field(out: string, name: string): string | null {
  const m = new RegExp(`^\\s*${name}:\\s*(\\S+)\\s*$`, "m").exec(out);
  return m?.[1] ?? null;
}

export async function btrfsUnchangedSince(mount: string, live: FileHandle, snapshotDir: string): Promise<boolean> {
  try {
    await runTool(btrfs, ["filesystem", "sync", mount]);
    const [now, then] = await Promise.all([runTool(btrfs, ["subvolume", "show", "/proc/self/fd/3"], { fds: [live.fd] }), runTool(btrfs, ["subvolume", "show", snapshotDir])]);
    const uuid = field(now, "UUID");
    const generation = field(now, "Generation");
    return uuid !== null && uuid !== "-" && field(then, "Parent UUID") === uuid && generation !== null && field(then, "Gen at creation") === generation;
  } catch {
    return false;
  }
}
