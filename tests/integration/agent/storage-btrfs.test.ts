import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { runCommand } from "../../../worker/agent/run-command";
import { storageSuite } from "./storage-suite";

// The btrfs driver on a small loop image per node root (made here, as root, under /var/tmp with
// the node's files, and unmounted and deleted after): subvolumes, read-only snapshots,
// btrfs send -p / receive.

const storeOf = (root: string) => path.join(root, "store");
const mounted = async (dir: string) => (await readFile("/proc/mounts", "utf8")).split("\n").some((line) => line.split(" ")[1] === dir);

storageSuite({
  storage: "btrfs",
  address: "127.0.25.3",
  peerAddress: "127.0.25.4",
  httpPort: 18503,
  mysqlPort: 13503,
  agentPort: 18511,
  async prepareRoot(root) {
    const image = `${root}.img`;
    await runCommand("/usr/bin/truncate", ["-s", "512M", image]);
    await runCommand("/usr/sbin/mkfs.btrfs", ["-q", "-f", image]);
    await mkdir(storeOf(root), { recursive: true });
    await runCommand("/usr/bin/mount", ["-o", "loop", image, storeOf(root)]);
  },
  async releaseRoot(root) {
    if (await mounted(storeOf(root))) await runCommand("/usr/bin/umount", [storeOf(root)], { timeoutMs: 60_000 });
    await rm(`${root}.img`, { force: true });
  },
});
