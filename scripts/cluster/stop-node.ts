// Stops a node's masters (nginx, php-fpm, mariadbd, pdns_server) for `npm start`'s Ctrl-C and before it starts
// the cluster again, and for the cluster test harness. The agent leaves them running when it exits
// (docs/architecture.md, invariant 5: restarting the agent never interrupts the sites), so
// whoever owns the whole local cluster stops them here.
//
// First through the node root's pid files (stopNode); then any master of the same node that a
// crash left without a valid pid file, found by its binary and by the node root on its command
// line, since such a process still holds the node's ports and would make the next start fail.
//   STOP_NODE_ROOTS=/var/lib/shoal/nodes/node-1:... node --import tsx scripts/cluster/stop-node.ts
// (roots in the environment, not argv, so this process's own command line never matches.)
import { readdir, readFile, readlink } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { stopNode } from "../../worker/agent/converge";
import { stopDaemon } from "../../worker/agent/daemon";
import { nodeRoot } from "../../worker/agent/node-root";

/** Each master's binary, and how it is asked to stop (gracefully). */
const masters: Record<string, { signal: NodeJS.Signals; timeoutMs: number }> = {
  "/usr/sbin/nginx": { signal: "SIGQUIT", timeoutMs: 10_000 },
  "/usr/sbin/php-fpm8.2": { signal: "SIGQUIT", timeoutMs: 10_000 },
  "/usr/sbin/mariadbd": { signal: "SIGTERM", timeoutMs: 30_000 },
  "/usr/sbin/pdns_server": { signal: "SIGTERM", timeoutMs: 10_000 },
};

/** Masters running with `root` on their command line, whatever their pid files say. */
export async function findNodeMasters(root: string): Promise<{ pid: number; binary: string }[]> {
  const found: { pid: number; binary: string }[] = [];
  const marker = `${root.replace(/\/+$/, "")}/`;
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const binary = (await readlink(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, "");
      if (!Object.hasOwn(masters, binary)) continue;
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " ");
      // nginx and php-fpm workers name no path; they go with their master.
      if (cmdline.includes(marker)) found.push({ pid, binary });
    } catch {
      // Gone meanwhile, or a kernel thread: not ours.
    }
  }
  return found;
}

/** Stops every master of the node at `root`. The node's files and data stay. */
export async function stopNodeMasters(root: string): Promise<void> {
  // Only the root is used to find pid files and configs; the address and ports do not matter here.
  const node = nodeRoot({ root, address: "127.0.0.1", httpPort: 80, mysqlPort: 3306 });
  let failure: unknown;
  await stopNode(node).catch((e: unknown) => (failure = e));
  const leftovers = await findNodeMasters(node.root);
  await Promise.all(
    leftovers.map(({ pid, binary }) => {
      const how = masters[binary]!;
      return stopDaemon(pid, how.signal, `${binary} of ${root}`, how.timeoutMs);
    }),
  );
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows stopNode's own rejection unchanged
  if (failure && (await findNodeMasters(node.root)).length > 0) throw failure;
}

async function main(): Promise<void> {
  const roots = (process.env.STOP_NODE_ROOTS ?? "").split(":").filter(Boolean);
  const results = await Promise.allSettled(roots.map((root) => stopNodeMasters(root)));
  let failed = false;
  results.forEach((result, i) => {
    if (result.status === "rejected") {
      failed = true;
      console.error(`could not stop the masters of ${roots[i]}: ${result.reason instanceof Error ? result.reason.message : result.reason}`);
    }
  });
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) void main();
