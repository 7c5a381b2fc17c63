import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
import { existsSync, type Dirent } from "node:fs";
import { open, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import mariadb, { type Connection } from "mariadb";
import { parseDatabaseName, parseDatabaseUser } from "../../../server/domain/database-name";
import { runningPid, stopDaemon } from "../daemon";
import type { NodeRoot } from "../node-root";
import { runCommand } from "../run-command";
import { waitFor } from "../wait-for";

// The node's own mariadbd: its own data directory, socket, port and bind address. The agent
// talks to it as root over the unix socket (root authenticates by being root); customers' users
// connect over TCP on the node's address.
//
// Every identifier is grammar-checked here again (the driver may be called without a spec) and
// then quoted; passwords only ever travel as bound parameters of server-side prepared statements.

/** Host part of every customer user: their PHP connects over TCP to the node's address. */
export const userHost = "%";

const systemDatabases = new Set(["mysql", "information_schema", "performance_schema", "sys"]);
const systemUsers = new Set(["root", "mariadb.sys", "mysql", "PUBLIC", ""]);

function checkedDatabase(name: string): string {
  const parsed = parseDatabaseName(name);
  if (!parsed.ok || parsed.value !== name) throw new Error(`Invalid database name "${name}": ${parsed.ok ? "not canonical" : parsed.error}`);
  return name;
}

function checkedUser(name: string): string {
  const parsed = parseDatabaseUser(name);
  if (!parsed.ok || parsed.value !== name) throw new Error(`Invalid database user "${name}": ${parsed.ok ? "not canonical" : parsed.error}`);
  return name;
}

/** `name` as a quoted identifier; the grammar already excludes backticks, doubling is belt and braces. */
const quoteIdentifier = (name: string) => `\`${name.replaceAll("`", "``")}\``;
/** A user name as a string literal; the grammar allows only [a-z0-9_]. */
const quoteUser = (name: string) => `'${name}'@'${userHost}'`;
/**
 * In GRANT ... ON `db`.*, "_" and "%" are wildcards: `alice_shop` would also cover `aliceXshop`,
 * which can belong to another account. Escaped, the grant names exactly one database.
 */
const grantPattern = (name: string) => quoteIdentifier(name.replace(/[_%]/g, "\\$&"));
const unescapeGrant = (pattern: string) => pattern.replace(/\\([_%])/g, "$1");

/** MariaDB's mysql_native_password hash, so the agent can tell whether a password is current without logging in. */
export function nativePasswordHash(password: string): string {
  const once = createHash("sha1").update(password, "utf8").digest();
  return `*${createHash("sha1").update(once).digest("hex").toUpperCase()}`;
}

export async function mariadbPid(node: NodeRoot): Promise<number | null> {
  return runningPid(node.mysqlPid, `--datadir=${node.mysqlDataDir}`);
}

async function connectAdmin(node: NodeRoot): Promise<Connection> {
  return mariadb.createConnection({ socketPath: node.mysqlSocket, user: "root", connectTimeout: 2_000 });
}

export async function withAdmin<T>(node: NodeRoot, work: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await connectAdmin(node);
  try {
    return await work(conn);
  } finally {
    await conn.end();
  }
}

/**
 * Written into the data directory before install-db starts and once it has finished: "mysql/", and
 * even its grant tables, may be there half made.
 */
const installingMarker = "shoal-installing";
const initialisedMarker = "shoal-initialised";

/** The schema directories mariadb-install-db itself makes (with --skip-test-db, "test" is only from older runs). */
const installDbSchemas = new Set(["mysql", "performance_schema", "sys", "test"]);

/** Starts in flight, per data directory: the agent's resume and a converge may both start it. */
const starting = new Map<string, Promise<void>>();

/**
 * Initialises the data directory on first use, starts mariadbd and drops the anonymous users.
 * One start at a time per node: two at once would both run install-db into the same directory, or
 * the second would start mariadbd on the first's half-written grant tables, where root does not
 * exist yet and every later login is refused ("Access denied for user 'root'@'localhost'").
 */
export function startMariadb(node: NodeRoot): Promise<void> {
  const inFlight = starting.get(node.mysqlDataDir);
  if (inFlight) return inFlight;
  const start = startMariadbOnce(node).finally(() => starting.delete(node.mysqlDataDir));
  starting.set(node.mysqlDataDir, start);
  return start;
}

/**
 * Whether install-db finished in this data directory. One from before the markers existed (neither
 * is there) counts when its grant tables are.
 */
export async function mariadbInitialised(node: NodeRoot): Promise<boolean> {
  return initialisedFrom(node, await readdir(node.mysqlDataDir).catch((): string[] => []));
}

function initialisedFrom(node: NodeRoot, names: readonly string[]): boolean {
  if (names.includes(initialisedMarker)) return true;
  if (names.includes(installingMarker)) return false;
  return names.includes("mysql") && existsSync(path.join(node.mysqlDataDir, "mysql", "global_priv.MAI"));
}

/**
 * Runs install-db into the data directory, over whatever an interrupted one left (killed agent,
 * timeout): that is not a data directory. Never over a customer's database, though: a schema
 * directory install-db does not make means this directory once served, and an operator must look.
 */
async function initialiseDataDir(node: NodeRoot, entries: readonly Dirent[]): Promise<void> {
  const foreign = entries.filter((entry) => entry.isDirectory() && !installDbSchemas.has(entry.name)).map((entry) => entry.name);
  if (foreign.length > 0) {
    throw new Error(`mariadb data directory ${node.mysqlDataDir} was never fully initialised but holds databases (${foreign.join(", ")}): not reinitialising it`);
  }
  for (const entry of entries) await rm(path.join(node.mysqlDataDir, entry.name), { recursive: true, force: true });
  await writeFile(path.join(node.mysqlDataDir, installingMarker), `install-db started ${new Date().toISOString()}\n`);
  await runCommand(
    "/usr/bin/mariadb-install-db",
    [
      "--no-defaults",
      `--datadir=${node.mysqlDataDir}`,
      "--user=mysql",
      "--auth-root-authentication-method=socket",
      "--skip-test-db",
    ],
    { timeoutMs: 120_000 },
  );
  await writeFile(path.join(node.mysqlDataDir, initialisedMarker), `install-db finished ${new Date().toISOString()}\n`);
  await rm(path.join(node.mysqlDataDir, installingMarker), { force: true });
}

async function startMariadbOnce(node: NodeRoot): Promise<void> {
  if (await mariadbPid(node)) return;
  const entries = await readdir(node.mysqlDataDir, { withFileTypes: true });
  if (!initialisedFrom(node, entries.map((entry) => entry.name))) await initialiseDataDir(node, entries);
  const log = await open(path.join(node.mysqlLogDir, "mariadbd.out"), "a");
  try {
    // mariadbd does not daemonise: detach it so the server outlives the agent.
    const child = spawn(
      "/usr/sbin/mariadbd",
      [
        "--no-defaults",
        `--datadir=${node.mysqlDataDir}`,
        "--user=mysql",
        `--socket=${node.mysqlSocket}`,
        `--pid-file=${node.mysqlPid}`,
        `--log-error=${path.join(node.mysqlLogDir, "error.log")}`,
        `--port=${node.mysqlPort}`,
        `--bind-address=${node.address}`,
        // Grants are by '%' and an address never needs a DNS lookup to be authorised.
        "--skip-name-resolve",
        // A row-format binlog: the snapshots' exact "this database has not changed since the last
        // dump" (storage/binlog-mark.ts), so an untouched database is not dumped again. Kept 6 h,
        // far longer than any snapshot cadence. Customers' triggers and functions need no SUPER
        // with it on, as without.
        "--log-bin=shoal-bin",
        "--binlog-format=ROW",
        "--server-id=1",
        "--max-binlog-size=64M",
        "--binlog-expire-logs-seconds=21600",
        "--log-bin-trust-function-creators=1",
        "--innodb-buffer-pool-size=16M",
        "--performance-schema=OFF",
      ],
      { detached: true, stdio: ["ignore", log.fd, log.fd] },
    );
    child.unref();
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`mariadbd exited with ${code}; see ${node.mysqlLogDir}/error.log`))),
    );
    exited.catch(() => undefined);
    await Promise.race([
      exited,
      waitFor("mariadbd to accept connections", async () => {
        await withAdmin(node, (conn) => conn.query("SELECT 1"));
        return true;
      }, { timeoutMs: 30_000 }),
    ]);
  } finally {
    await log.close();
  }
  // install-db creates ''@'localhost' and ''@'<hostname>'; they shadow 'user'@'%' for local
  // clients ("Access denied"), and nobody should log in without a name anyway.
  await withAdmin(node, async (conn) => {
    const anonymous: { Host: string }[] = await conn.query("SELECT Host FROM mysql.global_priv WHERE User = ''");
    for (const { Host } of anonymous) await conn.query(`DROP USER ''@${conn.escape(Host)}`);
  });
}

export async function stopMariadb(node: NodeRoot): Promise<void> {
  const pid = await mariadbPid(node);
  if (pid) await stopDaemon(pid, "SIGTERM", "mariadbd", 30_000);
}

export type ObservedDatabases = {
  databases: string[];
  users: { username: string; host: string; passwordHash: string; locked: boolean; grants: string[] }[];
};

export async function observeDatabases(node: NodeRoot): Promise<ObservedDatabases> {
  return withAdmin(node, async (conn) => {
    const databases = (await conn.query<{ Database: string }[]>("SHOW DATABASES"))
      .map((row) => row.Database)
      .filter((name) => !systemDatabases.has(name))
      .sort();
    // Roles have an empty host; they are not logins.
    const userRows: { User: string; Host: string; hash: string | null; locked: string | null }[] = await conn.query(
      `SELECT User, Host, JSON_VALUE(Priv, '$.authentication_string') AS hash, IF(JSON_VALUE(Priv, '$.account_locked') IN ('1', 'true'), 'Y', 'N') AS locked
         FROM mysql.global_priv WHERE Host <> ''`,
    );
    const grantRows: { User: string; Host: string; Db: string }[] = await conn.query("SELECT User, Host, Db FROM mysql.db");
    const users = userRows
      .filter((row) => !systemUsers.has(row.User) && !row.User.startsWith("shoal"))
      .map((row) => ({
        username: row.User,
        host: row.Host,
        passwordHash: row.hash ?? "",
        locked: row.locked === "Y",
        grants: grantRows
          .filter((g) => g.User === row.User && g.Host === row.Host)
          .map((g) => unescapeGrant(g.Db))
          .sort(),
      }))
      .sort((a, b) => a.username.localeCompare(b.username) || a.host.localeCompare(b.host));
    return { databases, users };
  });
}

export async function ensureDatabase(node: NodeRoot, name: string): Promise<void> {
  const db = checkedDatabase(name);
  await withAdmin(node, (conn) =>
    conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(db)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`),
  );
}

export async function dropDatabase(node: NodeRoot, name: string): Promise<void> {
  const db = checkedDatabase(name);
  await withAdmin(node, (conn) => conn.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(db)}`));
}

/**
 * Creates the user (or resets its password), grants it everything on its one database and
 * nothing else, then proves the result by logging in as it over TCP.
 */
export async function ensureDatabaseUser(
  node: NodeRoot,
  user: { username: string; password: string; database: string },
): Promise<void> {
  const username = checkedUser(user.username);
  const db = checkedDatabase(user.database);
  await withAdmin(node, async (conn) => {
    // CREATE/ALTER USER take no placeholders, so the server hashes the bound password and only
    // the hash (checked to be 41 hex characters) appears in the statement text.
    const [row]: { hash: string }[] = await conn.execute("SELECT PASSWORD(?) AS hash", [user.password]);
    const hash = row?.hash ?? "";
    if (!/^\*[0-9A-F]{40}$/.test(hash)) throw new Error("MariaDB returned an unexpected password hash.");
    await conn.query(`CREATE USER IF NOT EXISTS ${quoteUser(username)} IDENTIFIED BY PASSWORD '${hash}'`);
    await conn.query(`ALTER USER ${quoteUser(username)} IDENTIFIED BY PASSWORD '${hash}'`);
    const grants: { Db: string }[] = await conn.query("SELECT Db FROM mysql.db WHERE User = ? AND Host = ?", [username, userHost]);
    for (const { Db } of grants) {
      if (unescapeGrant(Db) !== db) await conn.query(`REVOKE ALL PRIVILEGES ON ${quoteIdentifier(Db)}.* FROM ${quoteUser(username)}`);
    }
    await conn.query(`GRANT ALL PRIVILEGES ON ${grantPattern(db)}.* TO ${quoteUser(username)}`);
  });
  await verifyLogin(node, user);
}

export async function verifyLogin(node: NodeRoot, user: { username: string; password: string; database: string }): Promise<void> {
  let conn: Connection;
  try {
    conn = await mariadb.createConnection({
      host: node.address,
      port: node.mysqlPort,
      user: user.username,
      password: user.password,
      database: user.database,
      connectTimeout: 5_000,
    });
  } catch (e) {
    throw new Error(`"${user.username}" could not log in to "${user.database}" after it was set up: ${(e as Error).message}`);
  }
  await conn.end();
}

/** A locked user keeps its password and grants but can't log in (suspended accounts). */
export async function setDatabaseUserLocked(node: NodeRoot, username: string, locked: boolean): Promise<void> {
  const name = checkedUser(username);
  await withAdmin(node, (conn) => conn.query(`ALTER USER ${quoteUser(name)} ACCOUNT ${locked ? "LOCK" : "UNLOCK"}`));
}

/** Drops the user at `host` (as observed; normally '%'), which also drops its grants. */
export async function dropDatabaseUser(node: NodeRoot, username: string, host: string): Promise<void> {
  // Observed names, not grammar-checked ones: escaped as string literals.
  await withAdmin(node, (conn) => conn.query(`DROP USER IF EXISTS ${conn.escape(username)}@${conn.escape(host)}`));
}
