import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdir, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { replaceChecked } from "../config-file";
import { runningPid, stopDaemon } from "../daemon";
import type { NodeRoot } from "../node-root";
import { runCommand } from "../run-command";
import type { PhpSettings } from "../../../server/contract/node-spec";
import { waitFor } from "../wait-for";
import { confinedCommand } from "./account-runtime";

// php-fpm 8.2, one master per account on the node: the master and every worker of the account's
// pools run inside the account's cgroup and mount namespace (account-runtime.ts), so the plan's
// limits hold for the account as a whole and the egress rules match its sockets. A change to one
// account's pools reloads only that account's master, and a reload lets running requests finish
// (process_control_timeout), so no reload ever cuts another tenant's request.
//
// The master runs in the foreground (-F) of a process the agent starts detached, in a session of
// its own, so it outlives the agent like a daemon. Daemonized, php-fpm forks again at every reload
// (SIGUSR2 makes it exec itself): the master's pid changed under the agent and the account
// sweeper, which found, for a moment, a master whose parent had just left the group and killed
// it. In the foreground a reload keeps the pid.

const phpFpmBinary = "/usr/sbin/php-fpm8.2";

/**
 * Functions that start a process or change what one inherits: a site runs PHP, not programs, as
 * its user. putenv is here because an environment variable set by PHP reaches the sendmail
 * program mail() starts (LD_PRELOAD is the classic way in).
 */
export const disabledFunctions = [
  "exec", "passthru", "shell_exec", "system", "proc_open", "popen", "pcntl_exec", "pcntl_fork",
  "putenv", "dl", "proc_nice",
] as const;

/** How long a reload waits for running requests (the longest a site may run is 600 s). */
export const reloadGraceSeconds = 120;

export function renderPhpFpmConf(node: NodeRoot, username: string): string {
  return `; Written by the Shoal agent for account ${username}; changes are overwritten.
[global]
pid = ${node.phpFpmPid(username)}
error_log = ${node.phpFpmLog(username)}
daemonize = yes
; A reload (SIGUSR2) asks the workers to finish their request first.
process_control_timeout = ${reloadGraceSeconds}s

include = ${node.poolDir(username)}/*.conf
`;
}

export type PoolInput = {
  siteId: string;
  username: string;
  siteDir: string;
  siteTmpDir: string;
  phpSettings: PhpSettings;
  /** The agent's sendmail program, which mail() runs (it queues the message for the account). */
  sendmailPath: string;
};

export function renderPool(node: NodeRoot, pool: PoolInput): string {
  // memory_limit and max_execution_time are always written below (they bound the request).
  const settings = Object.entries(pool.phpSettings)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[0] !== "memory_limit" && entry[0] !== "max_execution_time")
    .sort(([a], [b]) => a.localeCompare(b))
    // php_admin_value: the site can't raise its own limits with ini_set() or set_time_limit().
    .map(([key, value]) => `php_admin_value[${key}] = ${value}\n`)
    .join("");
  const seconds = Number(pool.phpSettings.max_execution_time ?? 30);
  return `; Shoal site ${pool.siteId}; written by the agent, changes are overwritten.
[site_${pool.siteId}]
user = ${pool.username}
group = ${pool.username}
listen = ${node.poolSocket(pool.siteId)}
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = ondemand
pm.max_children = 5
pm.process_idle_timeout = 10s
pm.max_requests = 500
; A request that outlives its time limit (sleeping, or stuck in a call the limit does not count)
; is killed by the master.
request_terminate_timeout = ${seconds + 5}s
chdir = ${pool.siteDir}
; Only what the pool sets reaches the workers' environment.
clear_env = yes
php_admin_value[open_basedir] = ${pool.siteDir}/:${pool.siteTmpDir}/
php_admin_value[upload_tmp_dir] = ${pool.siteTmpDir}
php_admin_value[sys_temp_dir] = ${pool.siteTmpDir}
php_admin_value[session.save_path] = ${pool.siteTmpDir}
php_admin_value[disable_functions] = ${disabledFunctions.join(",")}
php_admin_value[sendmail_path] = ${pool.sendmailPath}
php_admin_value[mail.add_x_header] = on
php_admin_value[memory_limit] = ${pool.phpSettings.memory_limit ?? "128M"}
php_admin_value[max_execution_time] = ${seconds}
php_admin_flag[allow_url_include] = off
php_admin_flag[enable_dl] = off
php_admin_value[error_log] = ${pool.siteTmpDir}/php-error.log
; Where this node's MariaDB is: apps read it (WordPress's DB_HOST), so a site restored on another
; node talks to that node's database.
env[SHOAL_DB_HOST] = ${node.address}:${node.mysqlPort}
env[PATH] = /usr/bin:/bin
env[TMPDIR] = ${pool.siteTmpDir}
${settings}`;
}

/** `php-fpm -t` against one account's configuration; throws with php-fpm's own message. */
export async function checkPhpFpmConfig(node: NodeRoot, username: string): Promise<void> {
  await runCommand(phpFpmBinary, ["-t", "-y", node.phpFpmConf(username)]);
}

/**
 * The pools of several accounts checked by one `php-fpm -t` (each start of php-fpm loads PHP and
 * its extensions: a converge that adds sites for ten accounts would otherwise pay that ten
 * times). A global section of its own includes every account's pool directory; the masters'
 * own configs are the fixed text of renderPhpFpmConf. Pool names and sockets are per site, so
 * pools of different accounts never clash; when the check fails the caller checks one by one.
 */
export async function checkPoolsTogether(node: NodeRoot, usernames: readonly string[]): Promise<void> {
  if (usernames.length === 1) return checkPhpFpmConfig(node, usernames[0]!);
  if (usernames.length === 0) return;
  // A dot name: phpFpmAccounts never takes it for an account's master config.
  const file = path.join(node.phpFpmAccountsDir, `.check-${randomBytes(6).toString("hex")}.conf`);
  const includes = usernames.map((u) => `include = ${node.poolDir(u)}/*.conf\n`).join("");
  try {
    await writeFile(file, `[global]\nerror_log = /dev/null\n${includes}`, { mode: 0o600 });
    await runCommand(phpFpmBinary, ["-t", "-y", file]);
  } finally {
    await rm(file, { force: true });
  }
}

export async function phpFpmPid(node: NodeRoot, username: string): Promise<number | null> {
  return runningPid(node.phpFpmPid(username), node.phpFpmConf(username));
}

/** Accounts that have a master config on this node. */
export async function phpFpmAccounts(node: NodeRoot): Promise<string[]> {
  const names = await readdir(node.phpFpmAccountsDir).catch(() => []);
  return names.flatMap((name) => (/^[a-z][a-z0-9]*\.conf$/.test(name) ? [name.slice(0, -".conf".length)] : [])).sort();
}

/** Writes (or, with null, removes) an account's master config; its pools are checked with it. */
export async function writePhpFpmMain(node: NodeRoot, username: string, content: string | null): Promise<void> {
  if (content === null) {
    await rm(node.phpFpmConf(username), { force: true });
    await rm(node.poolDir(username), { recursive: true, force: true });
    return;
  }
  await replaceChecked(node.phpFpmConf(username), content, async () => undefined);
}

/** Installs (or, with null, removes) one site's pool; rolled back if php-fpm rejects the result. */
export async function installPool(node: NodeRoot, username: string, siteId: string, content: string | null): Promise<void> {
  await mkdir(node.poolDir(username), { recursive: true, mode: 0o700 });
  // A removed pool needs no check: the master config may have no pool left, which -t refuses.
  await replaceChecked(node.poolFile(username, siteId), content, content === null ? async () => undefined : () => checkPhpFpmConfig(node, username));
}

/** Rejects if the master just started exits (never, for one that was already running). */
export type StartedPhpFpm = { exited: Promise<never> };

const never: StartedPhpFpm = { exited: new Promise<never>(() => undefined) };

/** The last lines of the account's master log: why it stopped. */
async function logTail(node: NodeRoot, username: string): Promise<string> {
  const text = await readFile(node.phpFpmLog(username), "utf8").catch(() => "");
  return text.trim().split("\n").slice(-3).join("\n");
}

/**
 * Starts the account's master (confined, account-runtime.ts) unless it runs, and waits for its pid
 * file. `exited` lets the caller stop waiting for its sockets when it dies during start-up (a
 * socket it cannot bind, say).
 */
export async function startPhpFpm(node: NodeRoot, username: string): Promise<StartedPhpFpm> {
  if (await phpFpmPid(node, username)) return never;
  const [file, args] = await confinedCommand(node, username, [phpFpmBinary, "-F", "-y", node.phpFpmConf(username)]);
  const log = await open(node.phpFpmLog(username), "a", 0o600);
  try {
    const child = spawn(file, args, { detached: true, stdio: ["ignore", log.fd, log.fd], env: { ...process.env, LC_ALL: "C" } });
    child.unref();
    const exited = new Promise<never>((_, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        void logTail(node, username).then((tail) => reject(new Error(`php-fpm of ${username} exited (${signal ?? code}): ${tail || "no output"}`)));
      });
    });
    exited.catch(() => undefined);
    await Promise.race([exited, waitFor(`php-fpm of ${username} to write its pid file`, () => phpFpmPid(node, username), { intervalMs: 10 })]);
    return { exited };
  } finally {
    await log.close();
  }
}

/**
 * SIGUSR2 makes the master re-read its config and replace its pools once the running requests
 * are done; the caller waits for the sockets it expects, since the signal returns before that.
 */
export async function reloadPhpFpm(node: NodeRoot, username: string): Promise<StartedPhpFpm> {
  const pid = await phpFpmPid(node, username);
  if (!pid) return startPhpFpm(node, username);
  process.kill(pid, "SIGUSR2");
  return never;
}

export async function stopPhpFpm(node: NodeRoot, username: string): Promise<void> {
  const pid = await phpFpmPid(node, username);
  // SIGQUIT: graceful, workers finish their current request.
  if (pid) await stopDaemon(pid, "SIGQUIT", `php-fpm of ${username}`);
  await rm(node.phpFpmPid(username), { force: true });
}

/** Every account master of the node (stopNode). */
export async function stopAllPhpFpm(node: NodeRoot): Promise<void> {
  await retireLegacyPhpFpm(node);
  await Promise.all((await phpFpmAccounts(node)).map((username) => stopPhpFpm(node, username)));
}

/** The single master earlier versions ran for the whole node: stopped and its files removed. */
export async function retireLegacyPhpFpm(node: NodeRoot): Promise<void> {
  const pid = await runningPid(node.legacyPhpFpmPid, node.legacyPhpFpmConf);
  if (pid) await stopDaemon(pid, "SIGQUIT", "the node's shared php-fpm");
  await rm(node.legacyPhpFpmPid, { force: true });
  await rm(node.legacyPhpFpmConf, { force: true });
  for (const name of await readdir(node.poolsDir).catch(() => [])) {
    if (name.endsWith(".conf")) await rm(`${node.poolsDir}/${name}`, { force: true });
  }
}

/** True when the shared master of earlier versions is still configured on this node. */
export async function hasLegacyPhpFpm(node: NodeRoot): Promise<boolean> {
  return access(node.legacyPhpFpmConf).then(() => true, () => false);
}
