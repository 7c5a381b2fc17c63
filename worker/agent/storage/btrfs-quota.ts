import { createHash } from "node:crypto";
import { CommandError, runCommand } from "../run-command";

// Per-site space on btrfs, from quota groups. Every subvolume has a level-0 qgroup (0/<id>) that
// counts the bytes it references (rfer) and the bytes only it references (excl). A site's live
// subvolume and all its snapshots are members of one level-1 qgroup, the site's group, whose excl
// is everything only the site's subvolumes reference: the site's whole footprint. What the
// snapshots hold that the live site does not, i.e. what deleting them all would free, is that
// footprint less the live subvolume's rfer. (Summing the snapshots' own excl undercounts: an old
// file version kept by two snapshots is exclusive to neither.)
//
// Checked on this machine's kernel (6.18) on a loop image: a snapshot made with `-i <group>` from
// a source already in that group keeps the numbers consistent (the kernel's quick inherit);
// `qgroup assign` of a subvolume that shares extents (an existing live volume when quotas are
// first enabled, a received snapshot after a move or failover) marks them inconsistent until a
// rescan. Deleted subvolumes leave their groups by themselves once the cleaner drops them.
// A group left behind by a removed site holds nothing and costs a row.

const btrfs = "/usr/bin/btrfs";

/** The level-1 qgroup of a site: 1/<48 bits of the site id's SHA-256>, the same on every node. */
export function siteGroupId(siteId: string): string {
  const id = BigInt(`0x${createHash("sha256").update(siteId).digest("hex").slice(0, 12)}`);
  return `1/${id}`;
}

export type QgroupRow = { id: string; rfer: number; excl: number; parents: string[]; path: string };

const notEnabled = (e: unknown) => e instanceof CommandError && /quota.*not enabled|not enabled|ENOENT|No such file/i.test(e.output);

/**
 * `btrfs qgroup show --raw -p` of the file system at `mount`: every qgroup with its numbers, its
 * parents and (level 0) its subvolume's path from the file system's top. Null while quotas are off.
 */
export async function readQgroups(mount: string): Promise<{ rows: Map<string, QgroupRow>; inconsistent: boolean } | null> {
  let out: { stdout: string; stderr: string };
  try {
    out = await runCommand(btrfs, ["qgroup", "show", "--raw", "-p", mount]);
  } catch (e) {
    if (notEnabled(e)) return null;
    throw e;
  }
  const rows = new Map<string, QgroupRow>();
  for (const line of out.stdout.split("\n")) {
    const m = /^([0-9]+\/[0-9]+)\s+([0-9]+)\s+([0-9]+)\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    rows.set(m[1]!, { id: m[1]!, rfer: Number(m[2]), excl: Number(m[3]), parents: m[4] === "-" ? [] : m[4]!.split(","), path: m[5]!.trim() });
  }
  return { rows, inconsistent: /inconsistent/i.test(out.stderr) || (await rescanRunning(mount)) };
}

async function rescanRunning(mount: string): Promise<boolean> {
  const { stdout } = await runCommand(btrfs, ["quota", "rescan", "-s", mount]);
  return /operation running/i.test(stdout);
}

/** Turns quotas on (a no-op when they are on; the first time the kernel rescans by itself). */
export async function ensureQuota(mount: string): Promise<void> {
  await runCommand(btrfs, ["quota", "enable", mount], { timeoutMs: 120_000 });
}

/** Starts a rescan unless one runs; the numbers are right again when it ends. */
export async function startRescan(mount: string): Promise<void> {
  await runCommand(btrfs, ["quota", "rescan", mount]).catch((e: unknown) => {
    if (!(e instanceof CommandError && /in progress|already/i.test(e.output))) throw e;
  });
}

/** Makes the site's group if it is missing; false when quotas are off. */
export async function ensureSiteGroup(mount: string, siteId: string): Promise<boolean> {
  try {
    await runCommand(btrfs, ["qgroup", "create", siteGroupId(siteId), mount]);
    return true;
  } catch (e) {
    if (e instanceof CommandError && /File exists/i.test(e.output)) return true;
    if (notEnabled(e)) return false;
    throw e;
  }
}

/** Puts subvolume qgroup `child` (0/<id>) into the site's group without a rescan (the caller decides). */
export async function assignToGroup(mount: string, child: string, siteId: string): Promise<void> {
  await runCommand(btrfs, ["qgroup", "assign", "--no-rescan", child, siteGroupId(siteId), mount]).catch((e: unknown) => {
    if (!(e instanceof CommandError && /File exists/i.test(e.output))) throw e;
  });
}

// Groups known to exist, so a snapshot costs no extra `qgroup create` after the first.
const knownGroups = new Set<string>();

/**
 * `-i <group>` for a subvolume or snapshot of the site (so it joins the site's group as it is
 * made, which keeps the numbers consistent), or nothing while quotas are off.
 */
export async function inheritArgs(mount: string, siteId: string, fresh = false): Promise<string[]> {
  const key = `${mount}\0${siteId}`;
  if (fresh) knownGroups.delete(key);
  if (!knownGroups.has(key)) {
    if (!(await ensureSiteGroup(mount, siteId))) return [];
    knownGroups.add(key);
  }
  return ["-i", siteGroupId(siteId)];
}
