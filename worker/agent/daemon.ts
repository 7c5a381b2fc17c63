import { readFile } from "node:fs/promises";
import { readTextIfExists } from "./config-file";
import { waitFor } from "./wait-for";

// The node's masters (nginx, php-fpm, mariadbd) run detached from the agent, so restarting the
// agent never interrupts the sites. They are found again through their pid
// files; a pid counts only while its command line still names this node's config, because after
// a reboot a stale pid file can point at an unrelated process.

export async function runningPid(pidFile: string, marker: string): Promise<number | null> {
  const text = await readTextIfExists(pidFile);
  const pid = Number(text?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " ");
    return cmdline.includes(marker) ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` and waits for the process to exit; kills it if it has not after `timeoutMs`. */
export async function stopDaemon(pid: number, signal: NodeJS.Signals, what: string, timeoutMs = 10_000): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  try {
    await waitFor(`${what} (pid ${pid}) to exit`, () => !alive(pid), { timeoutMs });
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      return;
    }
    await waitFor(`${what} (pid ${pid}) to exit after SIGKILL`, () => !alive(pid), { timeoutMs: 5_000 });
  }
}
