import { execFile } from "node:child_process";
import { asUser, confinedCommand } from "../drivers/account-runtime";
import type { NodeRoot } from "../node-root";
import { CommandError } from "../run-command";

// The installers' PHP runs as the account's user (setpriv drops root before php starts), with a
// fixed script and the values as JSON on stdin: nothing from a spec is ever part of PHP source or
// a command line, and nothing the script does can touch another account's files.

const php = "/usr/bin/php8.2";
const setpriv = "/usr/bin/setpriv";

export type PhpUser = { uid: number; gid: number; home: string };

export async function runPhpAs(
  user: PhpUser | "root",
  script: string,
  input: unknown,
  opts: { timeoutMs?: number; cwd?: string; confine?: { node: NodeRoot; username: string } } = {},
): Promise<string> {
  // Debian's CLI php.ini loads the extensions the apps need (mysqli, xml, ...) from conf.d.
  const phpArgs = ["-d", "display_errors=stderr", "-d", "log_errors=0", "-r", script];
  // As an account: inside its cgroup and namespace, like its sites' PHP (account-runtime.ts).
  const [file, args]: [string, string[]] =
    user === "root"
      ? [php, phpArgs]
      : opts.confine
        ? await confinedCommand(opts.confine.node, opts.confine.username, asUser(user, [php, ...phpArgs]))
        : [setpriv, [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--", php, ...phpArgs]];
  // A clean environment: nothing of the agent (its token, its database URL) reaches the script.
  const env = { PATH: "/usr/bin:/bin", LC_ALL: "C", HOME: user === "root" ? "/root" : user.home } as unknown as NodeJS.ProcessEnv;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 4 * 1024 * 1024, env, cwd: opts.cwd ?? "/" },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
        const killed = error.killed ? ` (killed after ${opts.timeoutMs ?? 30_000} ms)` : "";
        reject(new CommandError(`php (${user === "root" ? "root" : `uid ${user.uid}`})${killed}`, code, `${stderr}${stdout}` || error.message));
      },
    );
    child.stdin?.end(JSON.stringify(input));
  });
}
