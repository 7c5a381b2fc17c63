import { readFile } from "node:fs/promises";
import { accountGroups, accountPids } from "./drivers/cgroup";
import { phpFpmPid } from "./drivers/php-fpm";
import type { NodeRoot } from "./node-root";

// Processes do not outlive their request. A site's PHP can still leave something behind (a
// program started by mail() that forks into the background, native code that daemonises): such
// a process has left the tree of the php-fpm master that ran the request, so its parent is no
// longer in the account's group. Every few seconds the agent kills, in each account's group on
// this node, whatever is neither the account's master, nor a child of a process in the group, nor
// one the agent itself started (an installer it waits for).

async function parentOf(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return null;
  // The command name (field 2) may hold spaces and parentheses: the fields after its last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/** Kills the account's processes that have no parent in its group; returns how many. */
export async function sweepAccount(node: NodeRoot, username: string): Promise<number> {
  const pids = await accountPids(node, username);
  if (pids.length === 0) return 0;
  const inGroup = new Set(pids);
  const master = await phpFpmPid(node, username);
  let killed = 0;
  for (const pid of pids) {
    if (pid === master) continue;
    const parent = await parentOf(pid);
    if (parent === null || inGroup.has(parent) || parent === process.pid) continue;
    try {
      process.kill(pid, "SIGKILL");
      killed++;
    } catch {
      // Gone meanwhile.
    }
  }
  return killed;
}

export async function sweepNode(node: NodeRoot): Promise<number> {
  let killed = 0;
  for (const username of await accountGroups(node)) killed += await sweepAccount(node, username);
  return killed;
}

/** Sweeps every `intervalMs` until the returned function is called. */
export function startAccountSweeper(node: NodeRoot, opts: { intervalMs?: number; log: (line: string) => void }): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepNode(node)
      .then((killed) => {
        if (killed > 0) opts.log(`Stopped ${killed} process(es) a site left running after its request.`);
      })
      .catch((e: unknown) => opts.log(`Sweeping the accounts' processes failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        running = false;
      });
  }, opts.intervalMs ?? 2_000);
  timer.unref();
  return () => clearInterval(timer);
}
