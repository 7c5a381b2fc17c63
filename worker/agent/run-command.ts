import { execFile } from "node:child_process";

// Every process the agent starts goes through here: a program and an argument array, never a
// shell, so no name from a spec can be read as shell syntax.

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | string | null,
    readonly output: string,
  ) {
    super(`${command} failed (${exitCode ?? "killed"}): ${output.trim() || "no output"}`);
    this.name = "CommandError";
  }
}

export function runCommand(
  file: string,
  args: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, LC_ALL: "C" } },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const code = (error as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
        reject(new CommandError([file, ...args].join(" "), code, `${stderr}${stdout}` || error.message));
      },
    );
  });
}
