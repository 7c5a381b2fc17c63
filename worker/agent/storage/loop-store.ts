import { chmod, mkdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import type { NodeRoot } from "../node-root";
import { runCommand } from "../run-command";

// A btrfs file system in a loop image at <root>/store.img, mounted on the node's storeDir: how
// the local cluster and the tests give a node btrfs storage on a machine without a spare disk
// (scripts/cluster.sh does the same in bash for npm start). Root only. Idempotent.

export const storeImage = (node: Pick<NodeRoot, "root">) => `${node.root}/store.img`;

/** The mount's options, or null when nothing is mounted there. */
async function mountOptions(dir: string): Promise<string[] | null> {
  const line = (await readFile("/proc/mounts", "utf8")).split("\n").find((l) => l.split(" ")[1] === dir);
  return line ? (line.split(" ")[3] ?? "").split(",") : null;
}
const isMounted = async (dir: string) => (await mountOptions(dir)) !== null;

export async function ensureLoopStore(node: Pick<NodeRoot, "root" | "storeDir">, { sizeBytes = 2 * 1024 ** 3 }: { sizeBytes?: number } = {}): Promise<void> {
  await mkdir(node.storeDir, { recursive: true });
  // noatime: a read (nginx serving a file) changes nothing on disk, so it neither costs a
  // copy-on-write of metadata next to every snapshot nor counts as a change of the site (a move's
  // final delta finds "nothing changed" by the subvolume's generation, btrfs-unchanged.ts).
  const options = await mountOptions(node.storeDir);
  if (options) {
    if (!options.includes("noatime")) await runCommand("/usr/bin/mount", ["-o", "remount,noatime", node.storeDir]);
    return;
  }
  const image = storeImage(node);
  if (!(await stat(image).catch(() => null))) {
    await writeFile(image, "", { flag: "wx", mode: 0o600 });
    await truncate(image, sizeBytes);
  }
  // It holds every account's files: root's alone, an image made by an earlier version too.
  await chmod(image, 0o600);
  const { stdout } = await runCommand("/usr/sbin/blkid", ["-p", "-o", "value", "-s", "TYPE", image]).catch(() => ({ stdout: "" }));
  const type = stdout.trim();
  if (type === "") await runCommand("/usr/sbin/mkfs.btrfs", ["-q", image], { timeoutMs: 60_000 });
  else if (type !== "btrfs") throw new Error(`${image} holds a ${type} file system, not btrfs; refusing to touch it.`);
  await runCommand("/usr/bin/mount", ["-o", "loop,noatime", image, node.storeDir]);
}

/** Unmounts the store (its masters must be stopped first); the image stays. */
export async function releaseLoopStore(node: Pick<NodeRoot, "storeDir">): Promise<void> {
  if (await isMounted(node.storeDir)) await runCommand("/usr/bin/umount", [node.storeDir], { timeoutMs: 60_000 });
}
