import { chmod, chown, mkdir } from "node:fs/promises";
import { isIPv4 } from "node:net";
import path from "node:path";
import { z } from "zod";
import { lookupSystemUser } from "./system-users";

// A node's layout on disk. Everything the node's own nginx, php-fpm and MariaDB masters use lives
// under one root, so several nodes can share a machine (the local cluster) and a node is torn down
// by stopping its masters and deleting one directory.
//
// Put the root under /var (the tests use /var/tmp), not /tmp: it holds site files and MariaDB's
// data, which must survive a reboot and /tmp cleaners, and a service started by systemd with
// PrivateTmp= would see its own empty /tmp instead of the node's files.

export const nodeConfigSchema = z.strictObject({
  // Written unquoted into nginx and php-fpm config lines and into mariadbd arguments.
  root: z
    .string()
    .max(200)
    .regex(/^(\/[A-Za-z0-9._-]+)+$/, "Must be an absolute path of letters, digits, dots, hyphens and underscores.")
    .refine((value) => !value.split("/").includes(".."), "Must not contain '..'."),
  address: z.string().refine(isIPv4, "Must be an IPv4 address."),
  httpPort: z.number().int().min(1).max(65535),
  mysqlPort: z.number().int().min(1).max(65535),
});
export type NodeConfig = z.infer<typeof nodeConfigSchema>;

export type NodeRoot = ReturnType<typeof nodeRoot>;

export function nodeRoot(input: NodeConfig) {
  const config = nodeConfigSchema.parse(input);
  const { root } = config;
  const join = (...parts: string[]) => path.join(root, ...parts);
  return {
    ...config,
    nginxDir: join("etc/nginx"),
    nginxConf: join("etc/nginx/nginx.conf"),
    vhostDir: join("etc/nginx/sites"),
    vhostFile: (siteId: string) => join("etc/nginx/sites", `${siteId}.conf`),
    suspendedPage: join("etc/nginx/suspended/index.html"),
    nginxPid: join("run/nginx.pid"),
    nginxTempDir: join("run/nginx"),
    phpFpmConf: join("etc/php-fpm/php-fpm.conf"),
    poolDir: join("etc/php-fpm/pools"),
    poolFile: (siteId: string) => join("etc/php-fpm/pools", `${siteId}.conf`),
    phpFpmPid: join("run/php-fpm.pid"),
    phpSocketDir: join("run/php"),
    poolSocket: (siteId: string) => join("run/php", `${siteId}.sock`),
    idlePoolSocket: join("run/php/idle.sock"),
    mysqlDataDir: join("mysql"),
    mysqlRunDir: join("run/mysql"),
    mysqlSocket: join("run/mysql/mysqld.sock"),
    mysqlPid: join("run/mysql/mysqld.pid"),
    logDir: join("log"),
    mysqlLogDir: join("log/mysql"),
    homeDir: join("home"),
    accountHome: (username: string) => join("home", username),
    siteDir: (username: string, siteId: string) => join("home", username, "sites", siteId),
    // Outside the site directory so that snapshots of a site never carry sessions or half uploads.
    siteTmpDir: (username: string, siteId: string) => join("home", username, "tmp", siteId),
  };
}

/** Creates the node's directories (idempotent); MariaDB's are owned by mysql, who writes them. */
export async function ensureNodeLayout(node: NodeRoot): Promise<void> {
  for (const dir of [node.root, node.homeDir, node.logDir]) {
    await mkdir(dir, { recursive: true });
    // www-data and the account users must traverse down to the site directories.
    await chmod(dir, 0o755);
  }
  for (const dir of [node.vhostDir, path.dirname(node.suspendedPage), node.poolDir, node.nginxTempDir]) {
    await mkdir(dir, { recursive: true, mode: 0o755 });
  }
  await mkdir(node.phpSocketDir, { recursive: true, mode: 0o755 });
  const mysql = await lookupSystemUser("mysql");
  if (!mysql) throw new Error("The mysql system user is missing: install mariadb-server (scripts/node-lib.sh).");
  for (const [dir, mode] of [[node.mysqlDataDir, 0o750], [node.mysqlLogDir, 0o750], [node.mysqlRunDir, 0o755]] as const) {
    await mkdir(dir, { recursive: true });
    await chown(dir, mysql.uid, mysql.gid);
    await chmod(dir, mode);
  }
}
