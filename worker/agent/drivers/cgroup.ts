import { access, mkdir, readdir, readFile, rmdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AccountLimits } from "../../../server/contract/node-spec";
import type { NodeRoot } from "../node-root";
import { waitFor } from "../wait-for";

// A control group per hosting account per node: every process of the account on this node
// (its php-fpm master and workers now, cron jobs and SFTP sessions later) runs inside it, so the
// plan's CPU, memory, pids and IO share holds for all of them together, nothing the account
// starts can escape the group, and the node's egress rules (egress.ts) match its sockets.
//
// Two kernels' layouts are handled: the unified hierarchy with its controllers (cgroup v2 alone,
// mounted at /sys/fs/cgroup), and the hybrid layout some hosts still boot (v1 controllers each at
// /sys/fs/cgroup/<name>, a controller-less v2 tree at /sys/fs/cgroup/unified). On the hybrid layout
// the group is made in the v2 tree (membership, socket matching, kill) and in each v1 controller
// (limits); a process is put into all of them before it runs anything.

const cgroupRoot = "/sys/fs/cgroup";
const v1Controllers = ["memory", "pids", "cpu", "cpuacct", "blkio"] as const;
type V1Controller = (typeof v1Controllers)[number];

export type CgroupLayout = {
  /** The v2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on the hybrid layout. */
  unified: string;
  /** Controllers the v2 tree offers (empty on the hybrid layout). */
  v2Controllers: Set<string>;
  /** v1 controller mounts, when the controller is not on v2. */
  v1: Partial<Record<V1Controller, string>>;
};

let layout: Promise<CgroupLayout> | null = null;

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

async function detectLayout(): Promise<CgroupLayout> {
  let unified: string;
  if (await exists(`${cgroupRoot}/cgroup.controllers`)) unified = cgroupRoot;
  else if (await exists(`${cgroupRoot}/unified/cgroup.controllers`)) unified = `${cgroupRoot}/unified`;
  else throw new Error("No cgroup v2 hierarchy is mounted (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified); the agent needs one to confine accounts.");
  const v2Controllers = new Set((await readFile(`${unified}/cgroup.controllers`, "utf8")).trim().split(/\s+/).filter(Boolean));
  const v1: CgroupLayout["v1"] = {};
  for (const name of v1Controllers) {
    const onV2 = name === "cpuacct" ? v2Controllers.has("cpu") : v2Controllers.has(name === "blkio" ? "io" : name);
    if (!onV2 && (await exists(`${cgroupRoot}/${name}/cgroup.procs`))) v1[name] = `${cgroupRoot}/${name}`;
  }
  return { unified, v2Controllers, v1 };
}

export function cgroupLayout(): Promise<CgroupLayout> {
  layout ??= detectLayout();
  return layout;
}

/** The node's part of every hierarchy: shoal/<node address>. */
export function nodeGroupName(node: NodeRoot): string {
  return `shoal/${node.address}`;
}

export function accountGroupName(node: NodeRoot, username: string): string {
  return `${nodeGroupName(node)}/${username}`;
}

/** How nftables names the node's group: relative to /sys/fs/cgroup, with its depth in the v2 tree. */
export async function nodeGroupMatch(node: NodeRoot): Promise<{ path: string; level: number; inode: number }> {
  const { unified } = await cgroupLayout();
  const dir = path.join(unified, nodeGroupName(node));
  // nftables resolves the path to the group's id when the rules load: a group made again later is
  // another id, which the inode tells apart.
  const inode = (await stat(dir)).ino;
  return { path: path.relative(cgroupRoot, dir), level: 2, inode };
}

type AccountDirs = { v2: string; v1: Partial<Record<V1Controller, string>> };

async function accountDirs(node: NodeRoot, username: string): Promise<AccountDirs> {
  const l = await cgroupLayout();
  const name = accountGroupName(node, username);
  const v1: AccountDirs["v1"] = {};
  for (const [controller, mount] of Object.entries(l.v1) as [V1Controller, string][]) v1[controller] = path.join(mount, name);
  return { v2: path.join(l.unified, name), v1 };
}

/** The cgroup.procs files a process must write its pid to, v2 first: all of them before it execs. */
export async function accountProcsFiles(node: NodeRoot, username: string): Promise<string[]> {
  const dirs = await accountDirs(node, username);
  return [dirs.v2, ...Object.values(dirs.v1)].map((dir) => path.join(dir, "cgroup.procs"));
}

async function writeIfExists(file: string, value: string): Promise<void> {
  if (await exists(file)) await writeFile(file, value);
}

/** Turns on, from the v2 root down to the node's group, the controllers the account groups use. */
async function enableV2Controllers(l: CgroupLayout, node: NodeRoot): Promise<void> {
  const wanted = ["cpu", "memory", "pids", "io"].filter((c) => l.v2Controllers.has(c));
  if (wanted.length === 0) return;
  let dir = l.unified;
  for (const part of nodeGroupName(node).split("/")) {
    await writeFile(path.join(dir, "cgroup.subtree_control"), wanted.map((c) => `+${c}`).join(" "));
    dir = path.join(dir, part);
  }
  await writeFile(path.join(dir, "cgroup.subtree_control"), wanted.map((c) => `+${c}`).join(" "));
}

/** Makes the node's group in every hierarchy (egress rules match it, so it must exist first). */
export async function ensureNodeCgroup(node: NodeRoot): Promise<void> {
  const l = await cgroupLayout();
  for (const mount of [l.unified, ...Object.values(l.v1)]) await mkdir(path.join(mount, nodeGroupName(node)), { recursive: true });
  await enableV2Controllers(l, node);
  // Every converge: groups made by an agent from before the weights were kept get them too.
  await balanceCpuWeights(node);
}

/**
 * The CPU weight of the groups above the accounts: each account weighs as much as one process of
 * the machine. The kernel shares CPU by weight among siblings, and an account's group sits two
 * levels down (shoal, then the node), so with the default weight on every level all accounts of
 * all nodes together weighed as much as one process in the root group. On a busy machine that
 * starved the master starts and reloads the converge waits for (mount(8) and php-fpm's exec stood
 * in the run queue behind every agent, Postgres and compiler), though the plans' limits did not
 * ask for it: what an account may use is its own cpu.max, which is unchanged, as are the other
 * limits and the equal weight of accounts against each other. Several agents share "shoal" on
 * one machine; each counts every node's accounts, so the last write is right for the tree it saw.
 */
export async function balanceCpuWeights(node: NodeRoot): Promise<void> {
  const l = await cgroupLayout();
  const v2 = l.v2Controllers.has("cpu");
  const mount = v2 ? l.unified : l.v1.cpu;
  if (!mount) return;
  const [file, unit, max] = v2 ? ["cpu.weight", 100, 10_000] : ["cpu.shares", 1024, 262_144];
  const subdirs = async (dir: string) => (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
  const shoal = path.join(mount, path.dirname(nodeGroupName(node)));
  let total = 0;
  let own = 0;
  for (const nodeDir of await subdirs(shoal)) {
    const accounts = (await subdirs(path.join(shoal, nodeDir))).length;
    total += accounts;
    if (path.join(shoal, nodeDir) === path.join(mount, nodeGroupName(node))) own = accounts;
  }
  const weight = (accounts: number) => String(Math.min(max, unit * Math.max(1, accounts)));
  await writeIfExists(path.join(mount, nodeGroupName(node), file), weight(own));
  await writeIfExists(path.join(shoal, file), weight(total));
}

/** Idempotent: makes the account's group and writes the plan's limits into it. */
export async function ensureAccountCgroup(node: NodeRoot, username: string, limits: AccountLimits): Promise<void> {
  await ensureNodeCgroup(node);
  const dirs = await accountDirs(node, username);
  for (const dir of [dirs.v2, ...Object.values(dirs.v1)]) await mkdir(dir, { recursive: true });
  await balanceCpuWeights(node);
  const memory = String(limits.memoryMb * 1024 * 1024);
  const periodUs = 100_000;
  const quotaUs = String(Math.round((limits.cpuPercent / 100) * periodUs));
  // v2 controllers (absent files are controllers this kernel does not offer).
  await writeIfExists(path.join(dirs.v2, "memory.max"), memory);
  await writeIfExists(path.join(dirs.v2, "memory.swap.max"), "0");
  await writeIfExists(path.join(dirs.v2, "pids.max"), String(limits.pids));
  await writeIfExists(path.join(dirs.v2, "cpu.max"), `${quotaUs} ${periodUs}`);
  await writeIfExists(path.join(dirs.v2, "io.weight"), `default ${limits.ioWeight}`);
  // v1 controllers on the hybrid layout. memsw must stay >= memory, so it is written after it
  // when raising and before it when lowering: writing both twice covers either order.
  if (dirs.v1.memory) {
    for (let i = 0; i < 2; i++) {
      await writeFile(path.join(dirs.v1.memory, "memory.limit_in_bytes"), memory).catch(() => undefined);
      await writeIfExists(path.join(dirs.v1.memory, "memory.memsw.limit_in_bytes"), memory).catch(() => undefined);
    }
    await writeFile(path.join(dirs.v1.memory, "memory.limit_in_bytes"), memory);
  }
  if (dirs.v1.pids) await writeFile(path.join(dirs.v1.pids, "pids.max"), String(limits.pids));
  if (dirs.v1.cpu) {
    await writeFile(path.join(dirs.v1.cpu, "cpu.cfs_period_us"), String(periodUs));
    await writeFile(path.join(dirs.v1.cpu, "cpu.cfs_quota_us"), quotaUs);
  }
  // blkio weights need an IO scheduler that has them (BFQ); without one IO is not weighted.
  if (dirs.v1.blkio) {
    await writeIfExists(path.join(dirs.v1.blkio, "blkio.weight"), String(Math.min(1000, Math.max(10, limits.ioWeight))));
    await writeIfExists(path.join(dirs.v1.blkio, "blkio.bfq.weight"), String(Math.min(1000, Math.max(1, limits.ioWeight))));
  }
}

/** Pids in the account's group on this node (the v2 tree holds every one of them). */
export async function accountPids(node: NodeRoot, username: string): Promise<number[]> {
  const { v2 } = await accountDirs(node, username);
  const text = await readFile(path.join(v2, "cgroup.procs"), "utf8").catch(() => "");
  return text.split("\n").filter((line) => /^\d+$/.test(line)).map(Number);
}

/** Kills every process of the account on this node, and only those (other nodes' are in their own groups). */
export async function killAccountProcesses(node: NodeRoot, username: string): Promise<void> {
  const { v2 } = await accountDirs(node, username);
  if (!(await exists(v2))) return;
  const kill = path.join(v2, "cgroup.kill");
  if (await exists(kill)) await writeFile(kill, "1");
  // Without cgroup.kill (older kernels), signal until empty: a fork racing the loop joins the group
  // and is found on the next pass.
  await waitFor(
    `the processes of ${username} to exit`,
    async () => {
      const pids = await accountPids(node, username);
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      return pids.length === 0;
    },
    { timeoutMs: 10_000, intervalMs: 20 },
  );
}

/** Kills what is left and removes the group from every hierarchy. */
export async function removeAccountCgroup(node: NodeRoot, username: string): Promise<void> {
  await killAccountProcesses(node, username);
  const dirs = await accountDirs(node, username);
  for (const dir of [...Object.values(dirs.v1), dirs.v2]) {
    await rmdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
  }
  await balanceCpuWeights(node);
}

const readNumber = async (file: string | undefined): Promise<number | null> => {
  if (!file) return null;
  const text = (await readFile(file, "utf8").catch(() => null))?.trim();
  if (text === undefined || text === "max") return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
};

const readKeyed = async (file: string | undefined): Promise<Map<string, number>> => {
  const out = new Map<string, number>();
  if (!file) return out;
  for (const line of ((await readFile(file, "utf8").catch(() => "")) ?? "").split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out.set(key, Number(value));
  }
  return out;
};

export type AccountCgroupStats = {
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  /** Times the group hit its memory limit (reclaim forced or allocation failed). */
  memoryLimitHits: number;
  oomKills: number;
  cpuUsageUsec: number | null;
  cpuThrottledPeriods: number;
  cpuThrottledUsec: number;
  pids: number | null;
  pidsLimit: number | null;
  /** Forks refused because the group was at its pids limit. */
  pidsLimitHits: number;
};

/** The account's cgroup counters on this node, from whichever hierarchy holds each controller. */
export async function readAccountCgroupStats(node: NodeRoot, username: string): Promise<AccountCgroupStats> {
  const dirs = await accountDirs(node, username);
  const at = (dir: string | undefined, file: string) => (dir ? path.join(dir, file) : undefined);
  const { v2Controllers } = await cgroupLayout();
  if (v2Controllers.has("memory")) {
    const events = await readKeyed(at(dirs.v2, "memory.events"));
    const cpu = await readKeyed(at(dirs.v2, "cpu.stat"));
    const pidsEvents = await readKeyed(at(dirs.v2, "pids.events"));
    return {
      memoryBytes: await readNumber(at(dirs.v2, "memory.current")),
      memoryLimitBytes: await readNumber(at(dirs.v2, "memory.max")),
      memoryLimitHits: (events.get("max") ?? 0) + (events.get("high") ?? 0),
      oomKills: events.get("oom_kill") ?? 0,
      cpuUsageUsec: cpu.get("usage_usec") ?? null,
      cpuThrottledPeriods: cpu.get("nr_throttled") ?? 0,
      cpuThrottledUsec: cpu.get("throttled_usec") ?? 0,
      pids: await readNumber(at(dirs.v2, "pids.current")),
      pidsLimit: await readNumber(at(dirs.v2, "pids.max")),
      pidsLimitHits: pidsEvents.get("max") ?? 0,
    };
  }
  const cpu = await readKeyed(at(dirs.v1.cpu, "cpu.stat"));
  const oom = await readKeyed(at(dirs.v1.memory, "memory.oom_control"));
  const pidsEvents = await readKeyed(at(dirs.v1.pids, "pids.events"));
  const usageNs = await readNumber(at(dirs.v1.cpuacct, "cpuacct.usage"));
  return {
    memoryBytes: await readNumber(at(dirs.v1.memory, "memory.usage_in_bytes")),
    memoryLimitBytes: await readNumber(at(dirs.v1.memory, "memory.limit_in_bytes")),
    memoryLimitHits: (await readNumber(at(dirs.v1.memory, "memory.failcnt"))) ?? 0,
    oomKills: oom.get("oom_kill") ?? 0,
    cpuUsageUsec: usageNs === null ? null : Math.round(usageNs / 1000),
    cpuThrottledPeriods: cpu.get("nr_throttled") ?? 0,
    cpuThrottledUsec: Math.round((cpu.get("throttled_time") ?? 0) / 1000),
    pids: await readNumber(at(dirs.v1.pids, "pids.current")),
    pidsLimit: await readNumber(at(dirs.v1.pids, "pids.max")),
    pidsLimitHits: pidsEvents.get("max") ?? 0,
  };
}

/** The limits in force, as far as this kernel shows them; null when the group does not exist. */
export type ObservedLimits = { cpuPercent: number | null; memoryMb: number | null; pids: number | null };

export async function readAccountCgroupLimits(node: NodeRoot, username: string): Promise<ObservedLimits | null> {
  const dirs = await accountDirs(node, username);
  if (!(await exists(dirs.v2))) return null;
  for (const dir of Object.values(dirs.v1)) if (!(await exists(dir))) return null;
  const { v2Controllers } = await cgroupLayout();
  const mb = (bytes: number | null) => (bytes === null ? null : Math.round(bytes / (1024 * 1024)));
  if (v2Controllers.has("memory")) {
    const cpuMax = ((await readFile(path.join(dirs.v2, "cpu.max"), "utf8").catch(() => "")) ?? "").trim().split(/\s+/);
    const cpuPercent = cpuMax[0] && cpuMax[0] !== "max" && cpuMax[1] ? Math.round((Number(cpuMax[0]) / Number(cpuMax[1])) * 100) : null;
    return { cpuPercent, memoryMb: mb(await readNumber(path.join(dirs.v2, "memory.max"))), pids: await readNumber(path.join(dirs.v2, "pids.max")) };
  }
  const at = (dir: string | undefined, file: string) => (dir ? path.join(dir, file) : undefined);
  const quota = await readNumber(at(dirs.v1.cpu, "cpu.cfs_quota_us"));
  const period = await readNumber(at(dirs.v1.cpu, "cpu.cfs_period_us"));
  return {
    cpuPercent: quota !== null && quota > 0 && period ? Math.round((quota / period) * 100) : null,
    memoryMb: mb(await readNumber(at(dirs.v1.memory, "memory.limit_in_bytes"))),
    pids: await readNumber(at(dirs.v1.pids, "pids.max")),
  };
}

/** Whether the limits in force are `limits` (what this kernel cannot show is taken as set). */
export function limitsMatch(observed: ObservedLimits | null, limits: AccountLimits): boolean {
  if (observed === null) return false;
  return observed.cpuPercent === limits.cpuPercent && observed.memoryMb === limits.memoryMb && observed.pids === limits.pids;
}

/** Accounts with a group under this node (leftovers of removed accounts included). */
export async function accountGroups(node: NodeRoot): Promise<string[]> {
  const { unified } = await cgroupLayout();
  const entries = await readdir(path.join(unified, nodeGroupName(node)), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** Tears down the node's whole part of the tree (a node root being deleted: tests, decommission). */
export async function removeNodeCgroup(node: NodeRoot): Promise<void> {
  for (const username of await accountGroups(node)) await removeAccountCgroup(node, username);
  const l = await cgroupLayout();
  for (const mount of [...Object.values(l.v1), l.unified]) {
    await rmdir(path.join(mount, nodeGroupName(node))).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
  }
}
