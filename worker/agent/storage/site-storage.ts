import type { NodeRoot } from "../node-root";
import { SiteContext } from "./site-context";
import { browseOps } from "./site-browse";
import { promoteOps } from "./site-promote";
import { restoreOps } from "./site-restore";
import { snapshotOps } from "./site-snapshots";
import { streamOps } from "./site-streams";
import type { SiteStorage } from "./site-types";
import { volumeOps } from "./site-volumes";
import { measureUsage, type UsageReport } from "./usage";

export { StorageError, type PromoteResult, type RestoreResult, type SiteStorage, type SnapshotEntry, type SnapshotInfo } from "./site-types";

// A site's storage: its live directory (node.siteDir: a btrfs subvolume or a plain directory,
// NodeConfig.storage picks the driver) and its snapshots, each holding the site's files and a
// consistent dump of its databases. One interface for both drivers; the differences are in
// volume-driver.ts. Calls for one site run one at a time (a per-site queue, site-context.ts);
// different sites run side by side. Each topic is its own file:
//   site-volumes.ts    the live directory: make, remove, swap a copy in
//   site-snapshots.ts  take, list, delete
//   site-restore.ts    roll back files and databases to a snapshot
//   site-promote.ts    make a snapshot the live volume (replica, standby, repeat)
//   site-browse.ts     read a snapshot's files; restore one file
//   site-streams.ts    send and receive a snapshot between nodes

export function siteStorage(node: NodeRoot): SiteStorage {
  const ctx = new SiteContext(node);
  let measuring: Promise<UsageReport> | null = null;
  return {
    kind: ctx.driver.kind,
    measureUsage() {
      measuring ??= measureUsage(node).finally(() => {
        measuring = null;
      });
      return measuring;
    },
    ...volumeOps(ctx),
    ...snapshotOps(ctx),
    ...restoreOps(ctx),
    ...promoteOps(ctx),
    ...browseOps(ctx),
    ...streamOps(ctx),
  };
}
