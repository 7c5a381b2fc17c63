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
//
// An account's disk limit sits one level up: a level-2 qgroup per account whose members are the
// level-1 groups of the account's sites live on this node, so everything those sites reference,
// live files, database dumps and every snapshot, counts once against one limit on referenced
// bytes (rfer, not excl: a received replica sharing extents with a live volume must not make the
// account's data look smaller than it is). The kernel checks every ancestor's limit when space is
// reserved, so a write into any of the account's subvolumes fails with EDQUOT once the group is
// at its limit, whoever writes: the account's processes and root alike (root passes only with
// CAP_SYS_RESOURCE and the file system's quota_override switch, which this agent does not use).
// Taking a snapshot adds no data and still succeeds at the limit; writing into the live volume
// does not, which is why the agent lifts the limit around its own writes (withQuotaHeadroom).
// Checked on this machine's kernel: assigning a site group whose rfer equals its excl (nothing
// shared with other groups) to the account's group keeps the numbers consistent without a rescan,
// and `-i <site group>` snapshots stay consistent under a level-2 parent.

const btrfs = "/usr/bin/btrfs";

/** The level-1 qgroup of a site: 1/<48 bits of the site id's SHA-256>, the same on every node. */
export function siteGroupId(siteId: string): string {
  const id = BigInt(`0x${createHash("sha256").update(siteId).digest("hex").slice(0, 12)}`);
  return `1/${id}`;
}

export type QgroupRow = {
  id: string;
  rfer: number;
  excl: number;
  /** The group's limit on referenced bytes (`btrfs qgroup limit`), null for none. */
  maxRfer: number | null;
  parents: string[];
  path: string;
};

const notEnabled = (e: unknown) => e instanceof CommandError && /quota.*not enabled|not enabled|ENOENT|No such file/i.test(e.output);

/**
 * `btrfs qgroup show --raw -p -r` of the file system at `mount`: every qgroup with its numbers, its
 * limit, its parents and (level 0) its subvolume's path from the file system's top. Null while
 * quotas are off.
 */
export async function readQgroups(mount: string): Promise<{ rows: Map<string, QgroupRow>; inconsistent: boolean } | null> {
  let out: { stdout: string; stderr: string };
  try {
    out = await runCommand(btrfs, ["qgroup", "show", "--raw", "-p", "-r", mount]);
  } catch (e) {
    if (notEnabled(e)) return null;
    throw e;
  }
  const rows = parseQgroupShow(out.stdout);
  return { rows, inconsistent: /inconsistent/i.test(out.stderr) || (await rescanRunning(mount)) };
}

/** The rows of `btrfs qgroup show --raw -p -r` (header and rule lines are skipped). */
export function parseQgroupShow(stdout: string): Map<string, QgroupRow> {
  const rows = new Map<string, QgroupRow>();
  for (const line of stdout.split("\n")) {
    const m = /^([0-9]+\/[0-9]+)\s+([0-9]+)\s+([0-9]+)\s+([0-9]+|none)\s+(\S+)(?:\s+(.*))?$/.exec(line.trim());
    if (!m) continue;
    rows.set(m[1]!, {
      id: m[1]!,
      rfer: Number(m[2]),
      excl: Number(m[3]),
      maxRfer: m[4] === "none" ? null : Number(m[4]),
      parents: m[5] === "-" ? [] : m[5]!.split(","),
      path: (m[6] ?? "").trim(),
    });
  }
  return rows;
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

/** The level-2 qgroup of a hosting account: 2/<48 bits of the username's SHA-256>. */
export function accountGroupId(username: string): string {
  const id = BigInt(`0x${createHash("sha256").update(`account:${username}`).digest("hex").slice(0, 12)}`);
  return `2/${id}`;
}

async function createGroup(mount: string, id: string): Promise<void> {
  await runCommand(btrfs, ["qgroup", "create", id, mount]).catch((e: unknown) => {
    if (!(e instanceof CommandError && /File exists/i.test(e.output))) throw e;
  });
}

/** Drops the relation child → parent (gone already is fine); the kernel rescans if it must. */
async function removeFromGroup(mount: string, child: string, parent: string): Promise<void> {
  await runCommand(btrfs, ["qgroup", "remove", "--no-rescan", child, parent, mount]).catch((e: unknown) => {
    if (!(e instanceof CommandError && /No such file|not found|ENOENT/i.test(e.output))) throw e;
  });
}

/**
 * Puts a site's subvolumes (its live volume and its snapshots, paths relative to the mount) into
 * the site's group. True when something was assigned: the numbers need a rescan then.
 */
export async function ensureSiteMembers(mount: string, groups: ReadonlyMap<string, QgroupRow>, siteId: string, memberPaths: readonly string[]): Promise<boolean> {
  const group = siteGroupId(siteId);
  let changed = false;
  if (!groups.has(group)) {
    await ensureSiteGroup(mount, siteId);
    changed = true;
  }
  const byPath = new Map([...groups.values()].filter((r) => r.id.startsWith("0/")).map((r) => [r.path, r]));
  for (const rel of memberPaths) {
    const member = byPath.get(rel);
    if (member && !member.parents.includes(group)) {
      await assignToGroup(mount, member.id, siteId);
      changed = true;
    }
  }
  return changed;
}

/**
 * Makes the account's level-2 group hold exactly the groups of `siteIds` (the account's sites live
 * on this node) and carry `limitBytes` (null: no limit). Idempotent: an unchanged account costs one
 * `qgroup show`. A site group that belonged to another account's group is moved. Returns whether
 * the membership changed (numbers may need a rescan, which the caller starts).
 */
export async function ensureAccountGroup(mount: string, groups: ReadonlyMap<string, QgroupRow>, username: string, siteIds: readonly string[], limitBytes: number | null): Promise<boolean> {
  const group = accountGroupId(username);
  let changed = false;
  if (!groups.has(group)) await createGroup(mount, group);
  const wanted = new Set(siteIds.map(siteGroupId));
  for (const siteGroup of wanted) {
    const row = groups.get(siteGroup);
    if (!row) await createGroup(mount, siteGroup);
    for (const parent of row?.parents ?? []) {
      if (parent !== group && parent.startsWith("2/")) {
        await removeFromGroup(mount, siteGroup, parent);
        changed = true;
      }
    }
    if (!row?.parents.includes(group)) {
      await runCommand(btrfs, ["qgroup", "assign", "--no-rescan", siteGroup, group, mount]).catch((e: unknown) => {
        if (!(e instanceof CommandError && /File exists/i.test(e.output))) throw e;
      });
      changed = true;
    }
  }
  // Sites no longer live here (moved away, removed): their groups leave the account's.
  for (const row of groups.values()) {
    if (row.id.startsWith("1/") && row.parents.includes(group) && !wanted.has(row.id)) {
      await removeFromGroup(mount, row.id, group);
      changed = true;
    }
  }
  await applyLimit(mount, group, { base: limitBytes, current: groups.get(group)?.maxRfer ?? null });
  return changed;
}

// The limit each account group should carry, and what the agent's own writes have lifted it by
// for now. Writes of the limit to one group go one after another, so the last one wins.
type LimitState = { base: number | null; extra: number; current: number | null; chain: Promise<void> };
const limits = new Map<string, LimitState>();

/** Sets the group's base limit and/or changes the lift, then writes base + lift if it differs. */
async function applyLimit(mount: string, group: string, change: { base?: number | null; extra?: number; current?: number | null }): Promise<void> {
  const key = `${mount}\0${group}`;
  let state = limits.get(key);
  if (!state) {
    state = { base: change.base ?? change.current ?? null, extra: 0, current: change.current ?? null, chain: Promise.resolve() };
    limits.set(key, state);
  }
  if (change.base !== undefined) state.base = change.base;
  // The kernel's value is the truth when no lift of ours is in flight (it may have been changed by
  // hand, or a crash may have left a lift behind).
  if (change.current !== undefined && state.extra === 0) state.current = change.current;
  state.extra += change.extra ?? 0;
  const s = state;
  const run = s.chain.then(async () => {
    const wanted = s.base === null ? null : s.base + s.extra;
    if (wanted === s.current) return;
    await setGroupLimit(mount, group, wanted);
    s.current = wanted;
  });
  s.chain = run.catch(() => undefined);
  await run;
}

/** The limit the account group is meant to carry (its base, without the agent's temporary lifts). */
export function baseLimit(mount: string, group: string, kernelLimit: number | null): number | null {
  const state = limits.get(`${mount}\0${group}`);
  return state ? state.base : kernelLimit;
}

/**
 * Runs `write` (root writing into a site's live volume: database dumps and the snapshot's stamp)
 * with the limit of the site's account group raised by `bytes`, then lowers it again. Without it
 * an account at its limit could not be snapshotted at all, since root is held to the limit too.
 * The account can use the lift for as long as it lasts; that is the price, bounded by `bytes`.
 */
export async function withQuotaHeadroom<T>(mount: string, siteId: string, bytes: number, write: () => Promise<T>): Promise<T> {
  const groups = await readQgroups(mount);
  const parent = groups?.rows.get(siteGroupId(siteId))?.parents.find((p) => p.startsWith("2/"));
  const current = parent ? (groups!.rows.get(parent)?.maxRfer ?? null) : null;
  if (!parent || current === null) return write();
  await applyLimit(mount, parent, { extra: bytes, current });
  try {
    return await write();
  } finally {
    await applyLimit(mount, parent, { extra: -bytes });
  }
}

async function setGroupLimit(mount: string, group: string, limitBytes: number | null): Promise<void> {
  await runCommand(btrfs, ["qgroup", "limit", limitBytes === null ? "none" : String(limitBytes), group, mount]);
}

/** Removes the account's group (its sites' groups stay, unlimited). Nothing to do is fine. */
export async function removeAccountGroup(mount: string, groups: ReadonlyMap<string, QgroupRow>, username: string): Promise<void> {
  const group = accountGroupId(username);
  if (!groups.has(group)) return;
  for (const row of groups.values()) if (row.parents.includes(group)) await removeFromGroup(mount, row.id, group);
  limits.delete(`${mount}\0${group}`);
  await runCommand(btrfs, ["qgroup", "destroy", group, mount]).catch((e: unknown) => {
    if (!(e instanceof CommandError && /No such file|not found|ENOENT/i.test(e.output))) throw e;
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
