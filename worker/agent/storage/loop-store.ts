import { mkdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import type { NodeRoot } from "../node-root";
import { runCommand } from "../run-command";

// A btrfs file system in a loop image at <root>/store.img, mounted on the node's storeDir: how
// the local cluster and the tests give a node btrfs storage on a machine without a spare disk
// (scripts/cluster.sh does the same in bash for npm start). Root only. Idempotent.

export const storeImage = (node: Pick<NodeRoot, "root">) => `${node.root}/store.img`;

async function isMounted(dir: string): Promise<boolean> {
  return (await readFile("/proc/mounts", "utf8")).split("\n").some((line) => line.split(" ")[1] === dir);
}

export async function ensureLoopStore(node: Pick<NodeRoot, "root" | "storeDir">, { sizeBytes = 2 * 1024 ** 3 }: { sizeBytes?: number } = {}): Promise<void> {
  await mkdir(node.storeDir, { recursive: true });
  if (await isMounted(node.storeDir)) return;
  const image = storeImage(node);
  if (!(await stat(image).catch(() => null))) {
    await writeFile(image, "", { flag: "wx", mode: 0o600 });
    await truncate(image, sizeBytes);
  }
  const { stdout } = await runCommand("/usr/sbin/blkid", ["-p", "-o", "value", "-s", "TYPE", image]).catch(() => ({ stdout: "" }));
  const type = stdout.trim();
  if (type === "") await runCommand("/usr/sbin/mkfs.btrfs", ["-q", image], { timeoutMs: 60_000 });
  else if (type !== "btrfs") throw new Error(`${image} holds a ${type} file system, not btrfs; refusing to touch it.`);
  await runCommand("/usr/bin/mount", ["-o", "loop", image, node.storeDir]);
}

/** Unmounts the store (its masters must be stopped first); the image stays. */
export async function releaseLoopStore(node: Pick<NodeRoot, "storeDir">): Promise<void> {
  if (await isMounted(node.storeDir)) await runCommand("/usr/bin/umount", [node.storeDir], { timeoutMs: 60_000 });
}
