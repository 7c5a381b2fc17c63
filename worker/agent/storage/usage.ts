import type { Dirent } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import type { NodeRoot } from "../node-root";
import type { AccountUsage } from "../../../server/contract/node-usage";
import { accountUsage } from "./account-quota";
import { ensureQuota, ensureSiteMembers, readQgroups, siteGroupId, startRescan, type QgroupRow } from "./btrfs-quota";
import { dumpsDirName, platformDirName } from "./volume-layout";
import { databaseNameSchema, siteIdSchema } from "../../../server/contract/storage-names";
import { errno } from "./safe-fs";

// How much disk each site served here takes: its live files, its databases (the dumps in its
// volume and MariaDB's own files) and its snapshots, counted as what deleting them would free.
// Cheap enough to run every minute: on btrfs it is one `qgroup show` plus a look at each site's
// dump directory (btrfs-quota.ts); the directory driver walks the trees du-like (allocated
// blocks, a hard-linked inode once: its snapshots are hard links to one another, never to the
// live site, so all of a site's snapshots together are what they alone hold).
//
// Each account is reported too: its disk use against its limit and its cgroup's counters
// (account-quota.ts).
//
// Only sites with a live volume on this node are reported (a replica's received snapshots are the
// platform's copies, and on btrfs putting them in a group would cost a quota rescan every time).

export type SiteUsage = {
  siteId: string;
  /** The live volume without its database dumps; null while btrfs's numbers are being rescanned. */
  filesBytes: number | null;
  /** The database dumps kept in the live volume (its platform part, volume-layout.ts). */
  dumpBytes: number;
  /** What the site's snapshots hold beyond the live volume; null while being rescanned. */
  snapshotBytes: number | null;
  snapshots: number;
};

export type UsageReport = {
  storage: "btrfs" | "dir";
  measuredAt: string;
  /** False while btrfs's quota numbers are being (re)computed: filesBytes and snapshotBytes are null then. */
  consistent: boolean;
  sites: SiteUsage[];
  /** MariaDB's files of each customer database on this node, by name. */
  databases: { name: string; bytes: number }[];
  accounts: AccountUsage[];
  tookMs: number;
};

type Walk = { seen: Set<bigint> };

/** Allocated bytes under `dir` (itself included), each inode with several links once per walk. */
async function diskUsage(dir: string, walk: Walk, skip: ReadonlySet<string> = new Set()): Promise<number> {
  const s = await lstat(dir, { bigint: true }).catch((e: unknown) => {
    if (errno(e) === "ENOENT") return null;
    throw e;
  });
  if (!s) return 0;
  if (s.nlink > 1n && !s.isDirectory()) {
    if (walk.seen.has(s.ino)) return 0;
    walk.seen.add(s.ino);
  }
  const own = Number(s.blocks) * 512;
  if (!s.isDirectory()) return own;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (errno(e) === "ENOENT") return own;
    throw e;
  }
  const sizes = await Promise.all(entries.filter((e) => !skip.has(e.name)).map((e) => diskUsage(path.join(dir, e.name), walk)));
  return sizes.reduce((a, b) => a + b, own);
}

/** Sizes of the regular files directly in `dir` (a dump directory), or 0 without one. */
async function filesIn(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const sizes = await Promise.all(names.map(async (n) => ((s) => (s?.isFile() ? s.blocks * 512 : 0))(await lstat(path.join(dir, n)).catch(() => null))));
  return sizes.reduce((a, b) => a + b, 0);
}

type LiveSite = { siteId: string; dir: string; username: string };

/** Every live site volume here: home/<account>/sites/<siteId>. */
async function liveSites(node: NodeRoot): Promise<LiveSite[]> {
  const found: LiveSite[] = [];
  for (const username of await readdir(node.homeDir).catch(() => [] as string[])) {
    const sitesDir = path.join(node.homeDir, username, "sites");
    for (const entry of await readdir(sitesDir, { withFileTypes: true }).catch(() => [] as Dirent[])) {
      if (entry.isDirectory() && siteIdSchema.safeParse(entry.name).success) found.push({ siteId: entry.name, dir: node.siteVolumeDir(username, entry.name), username });
    }
  }
  return found.sort((a, b) => a.siteId.localeCompare(b.siteId));
}

async function snapshotNames(node: NodeRoot, siteId: string): Promise<string[]> {
  return (await readdir(path.join(node.snapshotsDir, siteId)).catch(() => [] as string[])).filter((n) => n !== ".meta");
}

/** What MariaDB's files of `databases` take on this node (bounds how large their dumps get). */
export async function databaseFilesBytes(node: NodeRoot, databases: readonly string[]): Promise<number> {
  const sizes = await Promise.all(
    databases.filter((name) => databaseNameSchema.safeParse(name).success).map((name) => diskUsage(path.join(node.mysqlDataDir, name), { seen: new Set() })),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

async function databaseUsage(node: NodeRoot): Promise<{ name: string; bytes: number }[]> {
  const entries = await readdir(node.mysqlDataDir, { withFileTypes: true }).catch(() => [] as Dirent[]);
  const dbs = entries.filter((e) => e.isDirectory() && databaseNameSchema.safeParse(e.name).success).map((e) => e.name).sort();
  return Promise.all(dbs.map(async (name) => ({ name, bytes: await diskUsage(path.join(node.mysqlDataDir, name), { seen: new Set() }) })));
}

async function dirSiteUsage(node: NodeRoot, site: { siteId: string; dir: string }): Promise<SiteUsage> {
  const names = await snapshotNames(node, site.siteId);
  const snapshotWalk: Walk = { seen: new Set() };
  const [filesBytes, dumpBytes, snapshotSizes] = await Promise.all([
    diskUsage(site.dir, { seen: new Set() }, new Set([platformDirName])),
    diskUsage(path.join(site.dir, platformDirName, dumpsDirName), { seen: new Set() }),
    Promise.all(names.map((n) => diskUsage(path.join(node.snapshotsDir, site.siteId, n), snapshotWalk))),
  ]);
  return { siteId: site.siteId, filesBytes, dumpBytes, snapshotBytes: snapshotSizes.reduce((a, b) => a + b, 0), snapshots: names.length };
}

/** One site after another: a walk is disk-bound, and this is background work. */
async function dirUsage(node: NodeRoot, sites: LiveSite[]): Promise<Measured> {
  const result: SiteUsage[] = [];
  for (const site of sites) result.push(await dirSiteUsage(node, site));
  return { consistent: true, sites: result, groups: null };
}

/**
 * btrfs: ensures quotas are on and each live site's subvolumes are in its group (idempotent; a
 * change, or numbers the kernel says are inconsistent, starts a rescan and this report carries
 * nulls for the numbers that depend on it), then reads the groups.
 */
async function btrfsUsage(node: NodeRoot, sites: LiveSite[]): Promise<Measured> {
  const mount = node.storeDir;
  let groups = await readQgroups(mount);
  if (!groups) {
    await ensureQuota(mount);
    groups = await readQgroups(mount);
    if (!groups) throw new Error(`Quotas could not be enabled on ${mount}.`);
  }
  const byPath = new Map([...groups.rows.values()].filter((r) => r.id.startsWith("0/")).map((r) => [r.path, r]));
  let changed = false;
  const plans = [];
  for (const site of sites) {
    const group = siteGroupId(site.siteId);
    const names = await snapshotNames(node, site.siteId);
    const live = byPath.get(path.relative(mount, site.dir));
    const members = [site.dir, ...names.map((n) => path.join(node.snapshotsDir, site.siteId, n))].map((dir) => path.relative(mount, dir));
    if (await ensureSiteMembers(mount, groups.rows, site.siteId, members)) changed = true;
    plans.push({ site, group, live, names });
  }
  const consistent = !changed && !groups.inconsistent;
  if (!consistent) await startRescan(mount);
  const result: SiteUsage[] = [];
  for (const { site, group, live, names } of plans) {
    const dumpBytes = await filesIn(path.join(site.dir, platformDirName, dumpsDirName));
    const groupRow = groups.rows.get(group);
    const known = consistent && live && groupRow;
    result.push({
      siteId: site.siteId,
      filesBytes: known ? Math.max(0, live.rfer - dumpBytes) : null,
      dumpBytes,
      // The group's footprint less what the live volume references: what only snapshots hold.
      snapshotBytes: known ? Math.max(0, groupRow.excl - live.rfer) : null,
      snapshots: names.length,
    });
  }
  return { consistent, sites: result, groups: groups.rows };
}

type Measured = { consistent: boolean; sites: SiteUsage[]; groups: ReadonlyMap<string, QgroupRow> | null };

const siteTotal = (s: SiteUsage) => (s.filesBytes === null || s.snapshotBytes === null ? null : s.filesBytes + s.dumpBytes + s.snapshotBytes);

export async function measureUsage(node: NodeRoot): Promise<UsageReport> {
  const started = Date.now();
  const measuredAt = new Date().toISOString();
  const sites = await liveSites(node);
  const [measured, databases] = await Promise.all([
    node.storage === "btrfs" ? btrfsUsage(node, sites) : dirUsage(node, sites),
    databaseUsage(node),
  ]);
  const owners = new Map(sites.map((s) => [s.siteId, s.username]));
  const accounts = await accountUsage(
    node,
    measured.sites.map((s) => ({ siteId: s.siteId, username: owners.get(s.siteId) ?? "", totalBytes: siteTotal(s) })),
    measured.groups ? { rows: measured.groups, consistent: measured.consistent } : null,
  );
  return { storage: node.storage, measuredAt, consistent: measured.consistent, sites: measured.sites, databases, accounts, tookMs: Date.now() - started };
}
