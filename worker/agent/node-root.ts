import { chmod, chown, mkdir, statfs } from "node:fs/promises";
import { isIPv4 } from "node:net";
import { ipv4OrCidrSchema, listenAddressSchema } from "../../server/contract/node-spec";
import path from "node:path";
import { z } from "zod";
import { storeImage } from "./storage/loop-store";
import { lookupSystemGroupId, lookupSystemUser } from "./system-users";

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
  // The front door: every hosted domain's public port (80 in the cluster). It proxies to the
  // backend port of the node that serves the site, or to the agent's hold service.
  httpPort: z.number().int().min(1).max(65535),
  // The front door's TLS listener (443 in the cluster): every site with a certificate, by SNI.
  httpsPort: z.number().int().min(1).max(65535).default(443),
  // The site vhosts. Only front doors (and the hold service) talk to it, so a request makes
  // exactly one hop. Defaults are fixed numbers, not derived from httpPort, so that a node's
  // ports are what its config says, the same on every node of a cluster.
  backendPort: z.number().int().min(1).max(65535).default(8080),
  // The agent's hold service, where the front door parks a paused (moving) site's requests.
  holdPort: z.number().int().min(1).max(65535).default(8081),
  // More "IPv4:port" listeners for the front door, such as 127.0.0.1:80 on the local cluster's
  // first node.
  extraListen: z.array(listenAddressSchema).max(8).default([]),
  // Peers whose X-Forwarded-For the backend believes (other nodes' front doors); this node's own
  // address and unix socket are always trusted, the rest of loopback never. IPv4 addresses or
  // IPv4 CIDR blocks.
  trustedProxies: z.array(ipv4OrCidrSchema).max(256).default([]),
  // More directories a customer's processes must not see on this machine (a one-machine cluster's
  // control-plane state, say), hidden in their mount namespace like the platform's own sockets
  // (drivers/account-runtime.ts). Absolute paths of plain segments.
  privatePaths: z
    .array(z.string().max(200).regex(/^(\/[A-Za-z0-9._-]+)+$/, "Must be an absolute path of letters, digits, dots, hyphens and underscores."))
    .max(32)
    .default([]),
  mysqlPort: z.number().int().min(1).max(65535),
  // Where the sites' files and their snapshots live (worker/agent/storage/site-storage.ts):
  // "btrfs" needs a btrfs file system mounted at <root>/store before the agent starts.
  storage: z.enum(["btrfs", "dir"]).default("dir"),
  // Bench only (SHOAL_BENCH_UNCONFINED, bench/apply-latency.ts): accounts get no cgroup limits,
  // no egress rules and no disk quota, and their masters start outside any mount namespace, so
  // the cost of those limits can be measured against the same code without them. Never on a
  // node that hosts strangers.
  unconfined: z.boolean().default(false),
}).superRefine((config, ctx) => {
  const ports = [config.httpPort, config.httpsPort, config.backendPort, config.holdPort];
  if (new Set(ports).size !== ports.length) {
    ctx.addIssue({ code: "custom", path: ["backendPort"], message: "httpPort, httpsPort, backendPort and holdPort must differ." });
  }
});
/** What callers pass (the edge fields have defaults); nodeRoot() returns the filled-in config. */
export type NodeConfig = z.input<typeof nodeConfigSchema>;

export type NodeRoot = ReturnType<typeof nodeRoot>;

export function nodeRoot(input: NodeConfig) {
  const config = nodeConfigSchema.parse(input);
  const { root } = config;
  const join = (...parts: string[]) => path.join(root, ...parts);
  // On btrfs the account homes live on the btrfs mount, so that a site directory at its usual
  // place in the home (home/<user>/sites/<id>) can itself be a subvolume, and snapshots (same file
  // system) can be taken of it and swapped in by rename. No bind mount or symlink is involved.
  const btrfs = config.storage === "btrfs";
  const homeDir = btrfs ? join("store/home") : join("home");
  return {
    ...config,
    nginxDir: join("etc/nginx"),
    nginxConf: join("etc/nginx/nginx.conf"),
    vhostDir: join("etc/nginx/sites"),
    vhostFile: (siteId: string) => join("etc/nginx/sites", `${siteId}.conf`),
    suspendedPage: join("etc/nginx/suspended/index.html"),
    // The front door's route table (written by PUT /v1/routes) and the nginx file rendered from it.
    routesFile: join("etc/routes.json"),
    edgeConf: join("etc/nginx/edge.conf"),
    // The front door's TLS servers and the HTTPS settings' maps (worker/edge/render-tls.ts), and
    // the certificates they name: <id>.crt world-readable, <id>.key root's alone (0600).
    tlsConf: join("etc/nginx/tls.conf"),
    certDir: join("etc/nginx/certs"),
    certFile: (id: string) => join("etc/nginx/certs", `${id}.crt`),
    certKeyFile: (id: string) => join("etc/nginx/certs", `${id}.key`),
    // HTTP-01 answers, one file per token; nginx serves <acmeRoot>/.well-known/acme-challenge/<token>.
    acmeRoot: join("etc/nginx/acme"),
    acmeChallengeDir: join("etc/nginx/acme/.well-known/acme-challenge"),
    // Read by the metrics collector: one line per front-door request, format shoal_edge.
    edgeAccessLog: join("log/edge-access.log"),
    nginxPid: join("run/nginx.pid"),
    // The backend's second listener: this node's own front door reaches its vhosts through it,
    // which costs less than a loopback TCP connection (bench/edge.ts).
    // Its directory is root:www-data 0750: nginx creates the socket for anyone to connect to, and
    // the backend believes the forwarding headers of whatever connects here, so only nginx's own
    // workers may reach it (a customer's process is not in www-data).
    backendSocket: join("run/backend/nginx.sock"),
    nginxTempDir: join("run/nginx"),
    // php-fpm: one master per account (drivers/php-fpm.ts), each with its own config, pools and pid.
    phpFpmDir: join("etc/php-fpm"),
    phpFpmAccountsDir: join("etc/php-fpm/accounts"),
    phpFpmConf: (username: string) => join("etc/php-fpm/accounts", `${username}.conf`),
    poolDir: (username: string) => join("etc/php-fpm/pools", username),
    poolFile: (username: string, siteId: string) => join("etc/php-fpm/pools", username, `${siteId}.conf`),
    phpFpmRunDir: join("run/php-fpm"),
    phpFpmPid: (username: string) => join("run/php-fpm", `${username}.pid`),
    phpFpmLog: (username: string) => join("log/php-fpm", `${username}.log`),
    phpSocketDir: join("run/php"),
    // The mount tables of the accounts' mount namespaces (drivers/account-runtime.ts), root's alone.
    confineDir: join("run/confine"),
    poolSocket: (siteId: string) => join("run/php", `${siteId}.sock`),
    // Every account's pool directory is in here; so were the single master's pools of earlier versions.
    legacyPhpFpmConf: join("etc/php-fpm/php-fpm.conf"),
    legacyPhpFpmPid: join("run/php-fpm.pid"),
    poolsDir: join("etc/php-fpm/pools"),
    // The program php's mail() runs: it queues the message for the account (drivers/sendmail.ts).
    sendmailPath: join("bin/sendmail"),
    // Where it queues: one directory per account, the account's own and 0700 (drivers/sendmail.ts).
    mailSpoolRoot: join("spool/mail"),
    mailSpool: (username: string) => join("spool/mail", username),
    // The agent's TLS identity (server/contract/cluster-tls.ts): the cluster CA's certificate, the
    // node's certificate and its key, root's alone; AGENT_TLS_DIR may put it elsewhere.
    tlsDir: join("tls"),
    // The node's egress rules as last applied (drivers/egress.ts).
    egressRulesFile: join("etc/egress.nft"),
    mysqlDataDir: join("mysql"),
    mysqlRunDir: join("run/mysql"),
    mysqlSocket: join("run/mysql/mysqld.sock"),
    mysqlPid: join("run/mysql/mysqld.pid"),
    logDir: join("log"),
    mysqlLogDir: join("log/mysql"),
    homeDir,
    accountHome: (username: string) => path.join(homeDir, username),
    // The site's volume (a btrfs subvolume or a plain directory): what is snapshotted, replicated,
    // moved and rolled back. Root's; it holds the customer's part and the platform's part
    // (storage/volume-layout.ts).
    siteVolumeDir: (username: string, siteId: string) => path.join(homeDir, username, "sites", siteId),
    // The customer's part of the volume: the tree they see, upload to and serve from.
    siteDir: (username: string, siteId: string) => path.join(homeDir, username, "sites", siteId, "files"),
    // Outside the site directory so that snapshots of a site never carry sessions or half uploads.
    siteTmpDir: (username: string, siteId: string) => path.join(homeDir, username, "tmp", siteId),
    // The btrfs mount point (unused by the dir driver).
    storeDir: join("store"),
    // Root-only (0700): snapshots hold every account's files. On btrfs they must be on the mount.
    snapshotsDir: btrfs ? join("store/.snapshots") : join("snapshots"),
    // Writable copies being swapped in by a restore, and receives in progress; on the same file
    // system as the homes so that a rename moves them.
    storageStagingDir: btrfs ? join("store/.staging") : join("snapshots/.staging"),
  };
}

/**
 * Creates the node's directories (idempotent) and sets their owners and modes on every start, so
 * a node made by an earlier version is tightened too. MariaDB's are owned by mysql, who writes them.
 *
 * Who reads what: nginx's and every php-fpm master run as root (they read their configs as root);
 * nginx's workers run as www-data and need the suspended page, their temp directories, the pool
 * sockets and the site files; mysqld runs as mysql. A customer's process (an account user) needs
 * only its own home, its spool and the sendmail program. So no config that names other customers,
 * no log of their requests and no listing of the homes is open to an account.
 */
export async function ensureNodeLayout(node: NodeRoot): Promise<void> {
  if (node.storage === "btrfs") await assertBtrfsMount(node.storeDir);
  const wwwData = await lookupSystemGroupId("www-data");
  if (wwwData === undefined) throw new Error("The www-data group is missing: install nginx (scripts/node-lib.sh).");
  const mysql = await lookupSystemUser("mysql");
  if (!mysql) throw new Error("The mysql system user is missing: install mariadb-server (scripts/node-lib.sh).");
  const etc = path.join(node.root, "etc");
  const run = path.join(node.root, "run");
  // [directory, group, mode], parents before children; the owner is root.
  const layout: [string, number, number][] = [
    // www-data and the account users pass through these to the site directories.
    [node.root, 0, 0o755],
    ...(node.storage === "btrfs" ? [[node.storeDir, 0, 0o755] as [string, number, number]] : []),
    // Passable, not listable: an account reaches its own home by name and can't see the others'.
    [node.homeDir, 0, 0o711],
    // Every customer's requests are logged here; mysqld passes through to its own log directory.
    [node.logDir, mysql.gid, 0o710],
    [path.join(node.logDir, "php-fpm"), 0, 0o700],
    [etc, wwwData, 0o710],
    [node.nginxDir, wwwData, 0o710],
    // Vhosts name every site and domain of the node: root (nginx's master) reads them.
    [node.vhostDir, 0, 0o700],
    // Private keys: the master (root) reads them; the workers never do.
    [node.certDir, 0, 0o700],
    // Challenge answers are public: the workers serve them.
    [node.acmeRoot, wwwData, 0o750],
    [path.dirname(node.acmeChallengeDir), wwwData, 0o750],
    [node.acmeChallengeDir, wwwData, 0o750],
    [path.dirname(node.suspendedPage), wwwData, 0o750],
    [node.phpFpmDir, 0, 0o700],
    [node.phpFpmAccountsDir, 0, 0o700],
    [node.poolsDir, 0, 0o700],
    [run, 0, 0o711],
    // nginx's master makes its temp directories in here for the workers.
    [node.nginxTempDir, wwwData, 0o710],
    // The pool sockets (named by site): only nginx's workers connect.
    [node.phpSocketDir, wwwData, 0o710],
    // The backend's socket, whose forwarding headers the backend believes: nginx's workers only
    // (nginx creates the socket for anyone to connect to).
    [path.dirname(node.backendSocket), wwwData, 0o750],
    [node.phpFpmRunDir, 0, 0o700],
    // Each account's disk limit and sites (storage/account-quota.ts).
    [path.join(node.root, "quota"), 0, 0o700],
    [node.tlsDir, 0, 0o700],
    [node.snapshotsDir, 0, 0o700],
    [node.storageStagingDir, 0, 0o700],
    [path.dirname(node.mailSpoolRoot), 0, 0o711],
    [node.mailSpoolRoot, 0, 0o711],
  ];
  for (const [dir, gid, mode] of layout) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chown(dir, 0, gid);
    await chmod(dir, mode);
  }
  for (const [dir, mode] of [[node.mysqlDataDir, 0o750], [node.mysqlLogDir, 0o750], [node.mysqlRunDir, 0o750]] as const) {
    await mkdir(dir, { recursive: true });
    await chown(dir, mysql.uid, mysql.gid);
    await chmod(dir, mode);
  }
  // A loop-mounted store's image (storage/loop-store.ts) holds every account's files.
  await chmod(storeImage(node), 0o600).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "ENOENT") throw e;
  });
}

const btrfsMagic = 0x9123683e;

/**
 * A btrfs node whose image is not mounted must fail loudly: creating its homes on the file system
 * underneath would give sites that can't be snapshotted and vanish behind the mount later.
 */
export async function assertBtrfsMount(dir: string): Promise<void> {
  const fs = await statfs(dir).catch(() => null);
  if (fs?.type !== btrfsMagic) {
    throw new Error(`${dir} is not a mounted btrfs file system; mount the node's store first (scripts/cluster.sh does, as root).`);
  }
}
