import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AccountUsage } from "../../../server/contract/node-usage";
import { unixUsernameSchema } from "../../../server/domain/unix-username";
import { readAccountCgroupStats, type AccountCgroupStats } from "../drivers/cgroup";
import type { NodeRoot } from "../node-root";
import { accountGroupId, baseLimit, ensureAccountGroup, ensureQuota, ensureSiteMembers, readQgroups, removeAccountGroup, startRescan, type QgroupRow } from "./btrfs-quota";
import { errno } from "./safe-fs";

// An account's disk limit on one node (diskMb of its limits in the node spec), and how the usage
// report judges it.
//
// btrfs: the limit is the kernel's, on the account's level-2 quota group (btrfs-quota.ts), so a
// write past it fails with EDQUOT for the account's processes, while other accounts and the
// account's snapshots go on.
// dir: nothing in a plain directory tree can refuse a write, so the limit is only checked: each
// usage walk compares the account's sites (files, dumps, snapshots) with it and the report marks
// the account atDiskLimit; the panel shows it and the control plane may act on it.
//
// On both drivers the limit is also written, root-only, under <root>/quota/<username>, so the
// report knows it after an agent restart, before the next converge.

const MiB = 1024 ** 2;

const quotaDir = (node: NodeRoot) => path.join(node.root, "quota");

/** What a converge last applied for an account: its limit and the live sites it covers. */
export type LimitRecord = { limitBytes: number; siteIds: string[] };

async function writeLimitRecord(node: NodeRoot, username: string, record: LimitRecord): Promise<void> {
  const dir = quotaDir(node);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, username);
  const current = await readFile(file, "utf8").catch(() => null);
  const text = `${JSON.stringify(record)}\n`;
  if (current === text) return;
  const temp = `${file}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, file);
}

/** Whether the account has a disk limit recorded on this node. */
export async function hasDiskLimit(node: NodeRoot, username: string): Promise<boolean> {
  return (await readLimitRecords(node, username)).has(username);
}

/** Every account's recorded limit on this node, by username. */
export async function readLimitRecords(node: NodeRoot, only?: string): Promise<Map<string, LimitRecord>> {
  const out = new Map<string, LimitRecord>();
  const names = only === undefined ? await readdir(quotaDir(node)).catch(() => [] as string[]) : [only];
  for (const name of names) {
    if (!unixUsernameSchema.safeParse(name).success) continue;
    const text = await readFile(path.join(quotaDir(node), name), "utf8").catch(() => null);
    let record: { limitBytes?: unknown; siteIds?: unknown } | null = null;
    try {
      record = text === null ? null : (JSON.parse(text) as { limitBytes?: unknown; siteIds?: unknown } | null);
    } catch {
      // A torn or foreign file: no limit known until the next converge writes it again.
    }
    if (typeof record?.limitBytes !== "number" || !Number.isSafeInteger(record.limitBytes)) continue;
    const siteIds = Array.isArray(record.siteIds) ? record.siteIds.filter((id): id is string => typeof id === "string") : [];
    out.set(name, { limitBytes: record.limitBytes, siteIds });
  }
  return out;
}

/**
 * Idempotent: gives `username` a disk limit of `diskMb` on this node over `siteIds`, the
 * account's sites live here (their live volumes and snapshots). Raising, lowering or an unchanged
 * limit all go through here; on btrfs a site not yet made is fine (its group is made now and its
 * volume joins it when created). Sites left out stop counting (moved away, removed).
 */
export async function ensureAccountQuota(node: NodeRoot, username: string, diskMb: number, siteIds: readonly string[]): Promise<void> {
  const [error] = await ensureAccountQuotas(node, [{ username, diskMb, siteIds }]);
  if (error) throw error;
}

/**
 * ensureAccountQuota for several accounts at once (a converge's quota steps): the quota table is
 * read once for all of them, and a rescan starts only if the kernel says the numbers need one.
 * Each account's outcome is its error or null, in order; one failing does not stop the others.
 */
export async function ensureAccountQuotas(node: NodeRoot, wanted: readonly { username: string; diskMb: number; siteIds: readonly string[] }[]): Promise<(Error | null)[]> {
  const outcomes: (Error | null)[] = wanted.map(() => null);
  const btrfs = node.storage === "btrfs" ? await btrfsSession(node).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))) : null;
  for (const [i, account] of wanted.entries()) {
    try {
      if (btrfs instanceof Error) throw btrfs;
      const limitBytes = account.diskMb * MiB;
      if (btrfs) await btrfs.apply(account.username, limitBytes, account.siteIds);
      // Written last: it is what the converge compares with, so it must not claim a limit not applied.
      await writeLimitRecord(node, account.username, { limitBytes, siteIds: [...account.siteIds].sort() });
    } catch (e) {
      outcomes[i] = e instanceof Error ? e : new Error(String(e));
    }
  }
  if (btrfs && !(btrfs instanceof Error)) {
    const error = await btrfs.finish().then(() => null, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    // The limits are in force either way; numbers that stay inconsistent are the usage report's
    // to flag (it starts a rescan itself), so this fails only the accounts that changed.
    if (error) for (const [i, changed] of btrfs.changedAccounts.entries()) if (changed && !outcomes[i]) outcomes[i] = error;
  }
  return outcomes;
}

/**
 * One pass over the btrfs quota table for a converge's accounts. A site's volume and snapshots are
 * made in its group (`-i`), and a site group whose bytes are all its own (rfer equals excl) joins
 * or leaves an account's group with the kernel's numbers kept consistent, so most changes need no
 * rescan; one that shares extents outside the group (a volume from before quotas were on, a
 * received replica) makes the kernel mark the numbers inconsistent, and only then is a rescan
 * started. A rescan is not free: it rereads every extent of the store (its time grows with the
 * store), and until it ends the numbers, limits included, count from zero again.
 */
async function btrfsSession(node: NodeRoot) {
  const mount = node.storeDir;
  let groups = await readQgroups(mount);
  if (!groups) {
    await ensureQuota(mount);
    groups = await readQgroups(mount);
    if (!groups) throw new Error(`Quotas could not be enabled on ${mount}.`);
  }
  let rows = groups.rows;
  let anyChange = false;
  const changedAccounts: boolean[] = [];
  return {
    changedAccounts,
    async apply(username: string, limitBytes: number, siteIds: readonly string[]): Promise<void> {
      const index = changedAccounts.push(false) - 1;
      // Volumes made before quotas were on (or received) join their site's group here.
      let members = false;
      for (const siteId of siteIds) {
        const snapshots = (await readdir(path.join(node.snapshotsDir, siteId)).catch(() => [] as string[])).filter((n) => n !== ".meta");
        const paths = [node.siteVolumeDir(username, siteId), ...snapshots.map((n) => path.join(node.snapshotsDir, siteId, n))];
        if (await ensureSiteMembers(mount, rows, siteId, paths.map((dir) => path.relative(mount, dir)))) members = true;
      }
      if (members) rows = (await readQgroups(mount))?.rows ?? rows;
      const group = await ensureAccountGroup(mount, rows, username, siteIds, limitBytes);
      // Later accounts read the table as it was: a group or relation made since is made again
      // (or kept) without harm, and each account's own relations are its own.
      if (members || group) {
        changedAccounts[index] = true;
        anyChange = true;
      }
    },
    /** Starts a rescan if a change left the kernel's numbers inconsistent. */
    async finish(): Promise<void> {
      if (!anyChange) return;
      if ((await readQgroups(mount))?.inconsistent) await startRescan(mount);
    },
  };
}

/** Idempotent: the account's limit and (btrfs) its quota group go; its sites' groups stay. */
export async function removeAccountQuota(node: NodeRoot, username: string): Promise<void> {
  await rm(path.join(quotaDir(node), username), { force: true });
  if (node.storage !== "btrfs") return;
  const groups = await readQgroups(node.storeDir);
  if (groups) await removeAccountGroup(node.storeDir, groups.rows, username);
}

/** How close to the limit counts as at it: a write needs room for its data and metadata. */
export function atLimit(diskBytes: number | null, limitBytes: number | null): boolean {
  if (diskBytes === null || limitBytes === null) return false;
  return diskBytes >= limitBytes - Math.min(MiB, Math.floor(limitBytes / 100));
}

const safe = (n: number | null) => (n !== null && Number.isSafeInteger(n) && n >= 0 ? n : null);

/** The report's cgroup fields; a kernel "unlimited" too large for JSON reads as no limit. */
function cgroupFields(stats: AccountCgroupStats | null) {
  return {
    memoryBytes: safe(stats?.memoryBytes ?? null),
    memoryLimitBytes: safe(stats?.memoryLimitBytes ?? null),
    memoryLimitHits: safe(stats?.memoryLimitHits ?? 0) ?? 0,
    oomKills: safe(stats?.oomKills ?? 0) ?? 0,
    cpuUsageUsec: safe(stats?.cpuUsageUsec ?? null),
    cpuThrottledPeriods: safe(stats?.cpuThrottledPeriods ?? 0) ?? 0,
    cpuThrottledUsec: safe(stats?.cpuThrottledUsec ?? 0) ?? 0,
    pids: safe(stats?.pids ?? null),
    pidsLimit: safe(stats?.pidsLimit ?? null),
    pidsLimitHits: safe(stats?.pidsLimitHits ?? 0) ?? 0,
  };
}

export type MeasuredSite = { siteId: string; username: string; totalBytes: number | null };

/**
 * Each account with a home on this node or a recorded limit: its disk use against its limit, and
 * its cgroup's counters. `groups` is the btrfs quota table the site numbers were read from (null
 * on the directory driver); `consistent` whether its numbers are settled.
 */
export async function accountUsage(
  node: NodeRoot,
  sites: readonly MeasuredSite[],
  btrfs: { rows: ReadonlyMap<string, QgroupRow>; consistent: boolean } | null,
): Promise<AccountUsage[]> {
  const records = await readLimitRecords(node);
  const homes = (await readdir(node.homeDir).catch((e: unknown) => {
    if (errno(e) === "ENOENT") return [] as string[];
    throw e;
  })).filter((name) => unixUsernameSchema.safeParse(name).success);
  const usernames = [...new Set([...homes, ...records.keys()])].sort();
  const out: AccountUsage[] = [];
  for (const username of usernames) {
    const own = sites.filter((s) => s.username === username);
    const summed = own.some((s) => s.totalBytes === null) ? null : own.reduce((a, s) => a + (s.totalBytes ?? 0), 0);
    let diskBytes = summed;
    let diskLimitBytes = records.get(username)?.limitBytes ?? null;
    if (btrfs) {
      const group = btrfs.rows.get(accountGroupId(username));
      if (group) {
        diskBytes = btrfs.consistent ? group.rfer : null;
        diskLimitBytes = baseLimit(node.storeDir, group.id, group.maxRfer);
      }
    }
    const stats = await readAccountCgroupStats(node, username).catch(() => null);
    out.push({ username, diskBytes, diskLimitBytes, atDiskLimit: atLimit(diskBytes, diskLimitBytes), ...cgroupFields(stats) });
  }
  return out;
}
