import { readFile, unlink, writeFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";

// A test cluster owns fixed addresses and ports, and startCluster reaps whatever an earlier run
// left on them. Two runs on one machine at once (a CI run beside a developer's, a bench beside
// the suite) would each take the other's nodes for leftovers and kill them mid-test. So a run
// holds a lock per network it uses, and a second run waits for it, or fails saying who holds it.
//
// The lock is a file naming its holder by pid and the process's start time (field 22 of
// /proc/<pid>/stat), so a holder that died without releasing it (kill -9, a crashed fork) is
// recognised and its lock taken over, even when its pid has been reused since.

export type ProcessRef = { pid: number; start: string };

const lockDir = "/var/tmp";

async function startTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from its closing ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // A zombie (state Z) has exited; only its parent has not collected it yet.
    if (fields[0] === "Z") return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** This process, as a lock or a node root records its owner. */
export async function selfRef(): Promise<ProcessRef> {
  const start = await startTime(process.pid);
  if (!start) throw new Error("Cannot read this process's start time from /proc.");
  return { pid: process.pid, start };
}

/** Whether the process that wrote `ref` is still running (and is the same process). */
export async function isAlive(ref: ProcessRef): Promise<boolean> {
  return (await startTime(ref.pid)) === ref.start;
}

async function commandOf(pid: number): Promise<string> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.split("\0").filter(Boolean).join(" ").slice(0, 160) || "?";
}

export type RunLock = { release(): Promise<void> };

/**
 * Takes the machine-wide lock `name` (one per cluster network), waiting up to `waitMs` for a live
 * holder to finish. Throws, naming the holder, when it does not.
 */
export async function acquireRunLock(name: string, { waitMs, log = console.log }: { waitMs: number; log?: (line: string) => void }): Promise<RunLock> {
  if (!/^[a-z0-9._-]+$/.test(name)) throw new Error(`Bad lock name "${name}".`);
  const file = `${lockDir}/shoal-cluster-lock.${name}`;
  const me = await selfRef();
  const deadline = Date.now() + waitMs;
  let said = false;
  for (;;) {
    try {
      await writeFile(file, JSON.stringify({ ...me, since: new Date().toISOString() }), { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = await readFile(file, "utf8")
      .then((text) => JSON.parse(text) as ProcessRef & { since?: string })
      .catch(() => null);
    if (!holder || !(await isAlive(holder))) {
      // A dead holder's lock (or a half-written one: its writer died between create and write).
      // Only one of two waiters removes it; the other's unlink finds nothing.
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Another test cluster holds ${name} (pid ${holder.pid} since ${holder.since ?? "?"}: ${await commandOf(holder.pid)}); waited ${waitMs} ms. ` +
          `Wait for it to finish, or run this one on another network (SHOAL_CLUSTER_NET).`,
      );
    }
    if (!said) {
      log(`waiting for the test cluster of pid ${holder.pid} (${await commandOf(holder.pid)}) to release ${name}`);
      said = true;
    }
    await delay(500);
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      // Only our own lock: one taken over after we were presumed dead is not ours to remove.
      const holder = await readFile(file, "utf8").then((t) => JSON.parse(t) as ProcessRef).catch(() => null);
      if (holder && holder.pid === me.pid && holder.start === me.start) await unlink(file).catch(() => undefined);
    },
  };
}
