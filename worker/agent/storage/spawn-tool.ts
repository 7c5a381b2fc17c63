import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { CommandError } from "../run-command";

// runCommand (../run-command.ts) buffers output; snapshots stream it (btrfs send, mariadb-dump)
// and hand descriptors to the child (a directory opened without following symlinks, reached by
// the child as /proc/self/fd/3). Still a program and an argument array, never a shell.

export type ToolOptions = {
  /** Extra descriptors: the first becomes the child's fd 3, the next fd 4. */
  fds?: number[];
  stdin?: "ignore" | "pipe" | number;
  stdout?: "pipe" | number;
  timeoutMs?: number;
};

export type RunningTool = {
  child: ChildProcess;
  stdin: Writable | null;
  stdout: Readable | null;
  /** Resolves when the tool exits 0; rejects with its stderr otherwise. */
  done: Promise<void>;
};

export function startTool(file: string, args: readonly string[], options: ToolOptions = {}): RunningTool {
  const child = spawn(file, args, {
    stdio: [options.stdin ?? "ignore", options.stdout ?? "pipe", "pipe", ...(options.fds ?? [])],
    env: { ...process.env, LC_ALL: "C" },
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    if (stderr.length < 64 * 1024) stderr += chunk;
  });
  const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : null;
  const done = new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new CommandError([file, ...args].join(" "), code ?? signal, stderr));
    });
  });
  // Callers that only pipe may never await done; its failure reaches them through the stream.
  done.catch(() => undefined);
  return { child, stdin: child.stdin, stdout: child.stdout, done };
}

/** Runs a tool to completion and returns its stdout (small outputs only). */
export async function runTool(file: string, args: readonly string[], options: Omit<ToolOptions, "stdout"> = {}): Promise<string> {
  const tool = startTool(file, args, { ...options, stdout: "pipe" });
  let out = "";
  tool.stdout!.setEncoding("utf8");
  tool.stdout!.on("data", (chunk: string) => (out += chunk));
  await tool.done;
  return out;
}
