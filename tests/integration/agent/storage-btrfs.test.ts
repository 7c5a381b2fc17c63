import { nodeRoot } from "../../../worker/agent/node-root";
import { ensureLoopStore, releaseLoopStore } from "../../../worker/agent/storage/loop-store";
import { storageSuite } from "./storage-suite";

// The btrfs driver on a small loop image per node root (made here, as root, under /var/tmp with
// the node's files, and unmounted and deleted after): subvolumes, read-only snapshots,
// btrfs send -p / receive.

// Only the paths matter to the loop store; the addresses and ports are the suite's.
const paths = (root: string) => nodeRoot({ root, address: "127.0.25.3", httpPort: 18503, mysqlPort: 13503, storage: "btrfs" });

storageSuite({
  storage: "btrfs",
  address: "127.0.25.3",
  peerAddress: "127.0.25.4",
  httpPort: 18503,
  mysqlPort: 13503,
  agentPort: 18511,
  prepareRoot: (root) => ensureLoopStore(paths(root), { sizeBytes: 512 * 1024 ** 2 }),
  // The image lives in the node root, which the suite deletes.
  releaseRoot: (root) => releaseLoopStore(paths(root)),
});
