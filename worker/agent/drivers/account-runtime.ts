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
const hideAndExec = `set -e
while [ "$1" != "--" ]; do
  if [ -d "$1" ]; then mount -t tmpfs -o size=4k,mode=0755,nosuid,nodev,noexec hidden "$1"; fi
  shift
done
shift
while [ "$1" != "--" ]; do
  if [ -d "$1" ]; then mount -t tmpfs -o size=${tmpSize},mode=1777,nosuid,nodev scratch "$1"; fi
  shift
done
shift
mount -t proc -o hidepid=invisible,nosuid,nodev,noexec proc /proc
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

/**
 * The program and arguments that run `argv` confined as the account: joined to its cgroup, in its
 * own mount namespace. `argv` runs as root from there (php-fpm's master drops to the pool users
 * itself); a command for the user itself goes through setpriv inside `argv`.
 */
export async function confinedCommand(node: NodeRoot, username: string, argv: readonly string[]): Promise<[string, string[]]> {
  // The bench's unconfined node (node-root.ts): the same command, as root, outside everything.
  if (node.unconfined) return [argv[0]!, argv.slice(1)];
  const procs = await accountProcsFiles(node, username);
  const hidden = hiddenPaths(node);
  return [
    "/bin/sh",
    [
      "-c", enterCgroup, "enter", ...procs, "--",
      "/usr/bin/unshare", "--mount", "--propagation", "private", "--",
      "/bin/sh", "-c", hideAndExec, "confine", ...hidden, "--", ...scratchDirs(node), "--",
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
