import { rm } from "node:fs/promises";
import { replaceChecked } from "../config-file";
import { runningPid, stopDaemon } from "../daemon";
import type { NodeRoot } from "../node-root";
import { runCommand } from "../run-command";
import type { PhpSettings } from "../../../server/contract/node-spec";
import { waitFor } from "../wait-for";

// The node's own php-fpm 8.2 master with one pool per site, each running as its account's user.

const phpFpmBinary = "/usr/sbin/php-fpm8.2";

/** Functions that start a process: a site runs PHP, not programs, as its user. */
export const disabledFunctions = [
  "exec", "passthru", "shell_exec", "system", "proc_open", "popen", "pcntl_exec", "pcntl_fork",
] as const;

export function renderPhpFpmConf(node: NodeRoot): string {
  // php-fpm refuses to start without a pool, and a node may host no PHP site yet: the idle pool
  // keeps the master up. Its socket is root's alone, so nothing can run code through it.
  return `; Written by the Shoal agent; changes are overwritten.
[global]
pid = ${node.phpFpmPid}
error_log = ${node.logDir}/php-fpm.log
daemonize = yes

[shoal_idle]
user = nobody
group = nogroup
listen = ${node.idlePoolSocket}
listen.owner = root
listen.group = root
listen.mode = 0600
pm = ondemand
pm.max_children = 1

include = ${node.poolDir}/*.conf
`;
}

export type PoolInput = {
  siteId: string;
  username: string;
  siteDir: string;
  siteTmpDir: string;
  phpSettings: PhpSettings;
};

export function renderPool(node: NodeRoot, pool: PoolInput): string {
  const settings = Object.entries(pool.phpSettings)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    // php_admin_value: the site can't raise its own limits with ini_set().
    .map(([key, value]) => `php_admin_value[${key}] = ${value}\n`)
    .join("");
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
chdir = ${pool.siteDir}
php_admin_value[open_basedir] = ${pool.siteDir}/:${pool.siteTmpDir}/
php_admin_value[upload_tmp_dir] = ${pool.siteTmpDir}
php_admin_value[sys_temp_dir] = ${pool.siteTmpDir}
php_admin_value[session.save_path] = ${pool.siteTmpDir}
php_admin_value[disable_functions] = ${disabledFunctions.join(",")}
php_admin_flag[allow_url_include] = off
; Where this node's MariaDB is: apps read it (WordPress's DB_HOST), so a site restored on another
; node talks to that node's database.
env[SHOAL_DB_HOST] = ${node.address}:${node.mysqlPort}
${settings}`;
}

/** `php-fpm -t` against the node's whole configuration; throws with php-fpm's own message. */
export async function checkPhpFpmConfig(node: NodeRoot): Promise<void> {
  await runCommand(phpFpmBinary, ["-t", "-y", node.phpFpmConf]);
}

export async function phpFpmPid(node: NodeRoot): Promise<number | null> {
  return runningPid(node.phpFpmPid, node.phpFpmConf);
}

export async function ensurePhpFpmMain(node: NodeRoot): Promise<void> {
  await replaceChecked(node.phpFpmConf, renderPhpFpmConf(node), () => checkPhpFpmConfig(node));
}

/** Installs (or, with null, removes) one site's pool; rolled back if php-fpm rejects the result. */
export async function installPool(node: NodeRoot, siteId: string, content: string | null): Promise<void> {
  await replaceChecked(node.poolFile(siteId), content, () => checkPhpFpmConfig(node));
}

export async function startPhpFpm(node: NodeRoot): Promise<void> {
  if (await phpFpmPid(node)) return;
  await runCommand(phpFpmBinary, ["-y", node.phpFpmConf]);
  await waitFor("php-fpm to write its pid file", () => phpFpmPid(node));
}

/**
 * SIGUSR2 makes the master re-read its config and replace its pools; the caller waits for the
 * sockets it expects (see waitForPoolSockets), since the signal returns before that happens.
 */
export async function reloadPhpFpm(node: NodeRoot): Promise<void> {
  const pid = await phpFpmPid(node);
  if (!pid) return startPhpFpm(node);
  process.kill(pid, "SIGUSR2");
}

export async function stopPhpFpm(node: NodeRoot): Promise<void> {
  const pid = await phpFpmPid(node);
  // SIGQUIT: graceful, workers finish their current request.
  if (pid) await stopDaemon(pid, "SIGQUIT", "php-fpm");
  await rm(node.phpFpmPid, { force: true });
}
