import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { NodeRoot } from "../node-root";
import { accountProcsFiles } from "./cgroup";

// How every process of an account starts on a node: inside the account's cgroup (limits, egress
// rules, one kill for all) and in a mount namespace of its own in which the platform's sockets
// and state are not there at all. A customer's code, native code included, cannot connect to a
// Unix socket it cannot find, and unix sockets are the one way to a local service that the
// egress rules (which see only IP packets) would not stop. In that namespace /proc shows only the
// account's own processes (hidepid), and the machine's world-writable scratch directories (/tmp,
// /var/tmp, /dev/shm, /run/lock) are small private tmpfs, charged to the account's memory limit, so
// one account can neither fill nor read another's or the machine's.
//
// The wrapper is two small sh programs with fixed text; every path is an argument, never part of
// the program. Paths come from the node root (a checked grammar) and the account's username.

/** Directories of the machine's services, hidden from customers' processes wherever they exist. */
export const platformPaths = [
  "/run/postgresql",
  "/run/mysqld",
  "/run/redis",
  "/var/lib/postgresql",
  "/var/lib/mysql",
  "/var/lib/redis",
  "/var/lib/shoal/secrets",
] as const;

const tmpSize = "64m";

// Joins the cgroups (one procs file per hierarchy), then starts the namespace program. The
// separator "--" ends each list of paths.
const enterCgroup = `set -e
while [ "$1" != "--" ]; do echo $$ > "$1"; shift; done
shift
exec "$@"`;

// The tmpfs sources and the programs' names are what a customer's process reads in
// /proc/self/mountinfo and ps: neutral, like everything else a customer sees.
// Makes every mount of the namespace with one mount(8) process (the table in $1, confineTable
// below), then runs the rest. One mount(8) per path cost a process start each: eight of them took
// 0.4-0.7 s of a master start on a loaded two-core machine (bench/README.md). mount exits non-zero
// when any entry fails, and set -e then stops here: nothing runs half confined.
const mountAndExec = `set -e
mount --all --fstab "$1"
shift
exec "$@"`;
/** The machine's world-writable scratch directories: each account gets empty private ones. */
const scratchPaths = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock"] as const;

const notAncestorOf = (node: NodeRoot) => (p: string) => !`${node.root}/`.startsWith(`${p.replace(/\/+$/, "")}/`);

/** Scratch directories to replace, except one that holds the node (tests keep nodes in /var/tmp). */
export function scratchDirs(node: NodeRoot): string[] {
  return scratchPaths.filter(notAncestorOf(node));
}

/** What to hide: the platform's paths and the node's private paths, never an ancestor of the node root. */
export function hiddenPaths(node: NodeRoot): string[] {
  return [...platformPaths, ...node.privatePaths].filter(notAncestorOf(node));
}

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/**
 * The mounts of an account's namespace as an fstab (mount --all reads it in order): an empty
 * read-only-sized tmpfs over each platform path that exists now, a private scratch tmpfs over
 * each world-writable directory, and last /proc with hidepid. Which paths exist is read at every
 * start, as the shell's "[ -d ]" did, so a service started after the agent is still hidden. The
 * sources are names of their own: mount --all skips an entry whose source and target are mounted
 * already, and the machine's /proc has the source "proc". Paths come from a checked grammar
 * (no blanks, which fstab would split on). The file is named by its content, written once by
 * rename, and is root's alone.
 */
export async function confineTable(node: NodeRoot): Promise<string> {
  const lines: string[] = [];
  for (const p of hiddenPaths(node)) if (await isDir(p)) lines.push(`hidden ${p} tmpfs size=4k,mode=0755,nosuid,nodev,noexec 0 0`);
  for (const p of scratchDirs(node)) if (await isDir(p)) lines.push(`scratch ${p} tmpfs size=${tmpSize},mode=1777,nosuid,nodev 0 0`);
  // Not "proc": mount --all skips an entry whose source and target are already mounted, and the
  // namespace starts with the machine's own "proc" on /proc.
  lines.push("hidepid /proc proc hidepid=invisible,nosuid,nodev,noexec 0 0");
  for (const line of lines) if (/[\s#\\]/.test(line.split(" ")[1]!)) throw new Error(`Refusing a mount path fstab cannot hold: ${line}`);
  const text = `${lines.join("\n")}\n`;
  const file = path.join(node.confineDir, `${createHash("sha256").update(text).digest("hex").slice(0, 16)}.fstab`);
  if ((await readFile(file, "utf8").catch(() => null)) === text) return file;
  await mkdir(node.confineDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, file);
  return file;
}

/**
 * The program and arguments that run `argv` confined as the account: joined to its cgroup, in its
 * own mount namespace. `argv` runs as root from there (php-fpm's master drops to the pool users
 * itself); a command for the user itself goes through setpriv inside `argv`.
 */
export async function confinedCommand(node: NodeRoot, username: string, argv: readonly string[]): Promise<[string, string[]]> {
  // The bench's unconfined node (node-root.ts): the same command, as root, outside everything.
  if (node.unconfined) return [argv[0]!, argv.slice(1)];
  const procs = await accountProcsFiles(node, username);
  const table = await confineTable(node);
  return [
    "/bin/sh",
    [
      "-c", enterCgroup, "enter", ...procs, "--",
      "/usr/bin/unshare", "--mount", "--propagation", "private", "--",
      "/bin/sh", "-c", mountAndExec, "confine", table,
      // No process of the account can gain privileges through a setuid program (su, mount, ...).
      "/usr/bin/setpriv", "--no-new-privs", "--",
      ...argv,
    ],
  ];
}

/** setpriv arguments that drop to the account's user before `argv` (no other groups kept). */
export function asUser(user: { uid: number; gid: number }, argv: readonly string[]): string[] {
  return ["/usr/bin/setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--", ...argv];
}
