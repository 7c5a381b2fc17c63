import { existsSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import mariadb from "mariadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge } from "../../../worker/agent/converge";
import { withAdmin } from "../../../worker/agent/drivers/mariadb";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { InvalidSpecError } from "../../../server/contract/node-spec";
import { waitFor } from "../../../worker/agent/wait-for";
import { backendGet, destroyNode, httpGet, makeNode, uniqueUsername, whoamiPhp } from "./node-harness";

// A whole node against the real nginx, php-fpm and MariaDB: converge a spec, serve PHP as the
// account's user through the node's own nginx (its backend port: no route points the front door
// at the site in these tests, tests/integration/edge covers that), log in as the database user, converge again with
// nothing to do, suspend, and tear everything down leaving nothing behind.

let node: NodeRoot;
const username = uniqueUsername("ag");
const dbName = `${username}_shop`;
const password = "correct-horse-battery-staple";

const spec = (status: "ACTIVE" | "SUSPENDED" = "ACTIVE") => ({
  accounts: [{ id: "acc1", username, status }],
  sites: [
    {
      id: "site1",
      accountId: "acc1",
      domains: ["shop.example.test", "www.shop.example.test"],
      documentRoot: "public",
      phpSettings: { memory_limit: "96M" },
      status: "ACTIVE",
    },
  ],
  databases: [{ id: "db1", accountId: "acc1", name: dbName, users: [{ username: dbName, password }] }],
});
const emptySpec = { accounts: [], sites: [], databases: [] };

async function passwdHas(name: string): Promise<boolean> {
  return (await readFile("/etc/passwd", "utf8")).split("\n").some((line) => line.startsWith(`${name}:`));
}

function dbLogin(user: string, pass: string) {
  return mariadb
    .createConnection({ host: node.address, port: node.mysqlPort, user, password: pass, database: dbName, connectTimeout: 3_000 })
    .then(async (conn) => {
      const [row]: { who: string }[] = await conn.query("SELECT CURRENT_USER() AS who");
      await conn.end();
      return row?.who;
    });
}

/** Converges and returns the results, failing the test with the messages of any failed step. */
async function convergeOk(input: unknown) {
  const results = await converge(node, input);
  expect(results.filter((r) => !r.ok)).toEqual([]);
  return results;
}

beforeAll(async () => {
  node = await makeNode("127.0.10.1", 18101, 13101);
});

afterAll(async () => {
  await destroyNode(node);
}, 60_000);

describe("converge on a real node", () => {
  it("rejects an invalid spec with a precise error before touching anything", async () => {
    const untouched = await makeNode("127.0.10.1", 18111, 13111);
    const bad = spec();
    bad.accounts[0]!.username = "bad;rm -rf /";
    bad.sites[0]!.domains[1] = "evil.test\nserver {";
    const error = await converge(untouched, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSpecError);
    expect((error as InvalidSpecError).issues).toEqual([
      {
        path: "accounts.0.username",
        message: 'Can only contain lower-case letters, digits and underscores: ";" is not allowed.',
      },
      { path: "sites.0.domains.1", message: "Must not contain line breaks." },
    ]);
    expect(existsSync(untouched.root)).toBe(false);
    expect(await passwdHas("bad;rm -rf /")).toBe(false);
    await rm(path.dirname(untouched.root), { recursive: true });
  });

  it("serves PHP as the account's user on both domains, the database user logs in, and a second converge has nothing to do", async () => {
    const first = await convergeOk(spec());
    expect(first.map((r) => r.kind)).toEqual(
      expect.arrayContaining(["ensureAccount", "ensureSiteStore", "installPool", "installVhost", "ensureDatabase", "ensureDatabaseUser"]),
    );
    const docroot = path.join(node.siteDir(username, "site1"), "public");
    await writeFile(path.join(docroot, "whoami.php"), whoamiPhp);

    for (const host of ["shop.example.test", "www.shop.example.test"]) {
      const res = await waitFor(`PHP on ${host}`, async () => {
        const r = await backendGet(node, host, "/whoami.php");
        return r.status === 200 ? r : undefined;
      });
      expect(res.body).toBe(`user=${username}`);
    }
    expect((await backendGet(node, "shop.example.test", "/")).body).toContain("This site is ready");
    expect((await backendGet(node, "unknown.example.test", "/whoami.php")).status).toBe(404);
    expect((await backendGet(node, "shop.example.test", "/.env")).status).toBe(403);
    // Converged is not public: until a route names this node, the front door knows no such host.
    const front = await httpGet(node, "shop.example.test", "/");
    expect(front.status).toBe(404);
    expect(front.body).toContain("Site not found");

    expect(await dbLogin(dbName, password)).toBe(`${dbName}@%`);
    await expect(dbLogin(dbName, "not-the-password-at-all")).rejects.toThrow(/Access denied/);

    expect(await converge(node, spec())).toEqual([]);
  });

  it("suspends the account (suspended page, no PHP, database user locked) and brings it back", async () => {
    await convergeOk(spec());
    await writeFile(path.join(node.siteDir(username, "site1"), "public", "whoami.php"), whoamiPhp);

    const suspended = await convergeOk(spec("SUSPENDED"));
    expect(suspended.map((r) => r.kind)).toEqual(
      expect.arrayContaining(["installPool", "installVhost", "setDatabaseUserLock"]),
    );
    const page = await waitFor("the suspended page", async () => {
      const r = await backendGet(node, "shop.example.test", "/whoami.php");
      return r.status === 503 ? r : undefined;
    });
    expect(page.body).toContain("This site is suspended");
    expect(existsSync(node.poolSocket("site1"))).toBe(false);
    await expect(dbLogin(dbName, password)).rejects.toThrow(/locked/i);
    expect(await converge(node, spec("SUSPENDED"))).toEqual([]);

    await convergeOk(spec("ACTIVE"));
    const back = await waitFor("PHP again", async () => {
      const r = await backendGet(node, "shop.example.test", "/whoami.php");
      return r.status === 200 ? r : undefined;
    });
    expect(back.body).toBe(`user=${username}`);
    expect(await dbLogin(dbName, password)).toBe(`${dbName}@%`);
  });

  it("removing the site, account and database leaves nothing behind", async () => {
    await convergeOk(spec());
    expect(await passwdHas(username)).toBe(true);

    const results = await convergeOk(emptySpec);
    expect(results.map((r) => r.kind)).toEqual(
      expect.arrayContaining(["installPool", "installVhost", "dropDatabaseUser", "dropDatabase", "removeSiteStore", "removeAccount"]),
    );

    expect(await passwdHas(username)).toBe(false);
    expect((await readFile("/etc/group", "utf8")).split("\n").some((l) => l.startsWith(`${username}:`))).toBe(false);
    expect(await readdir(node.homeDir)).toEqual([]);
    expect(await readdir(node.vhostDir)).toEqual([]);
    expect(await readdir(node.poolsDir)).toEqual([]);
    expect(await readdir(node.phpFpmAccountsDir)).toEqual([]);
    expect((await readdir(node.phpSocketDir)).filter((f) => f !== "idle.sock")).toEqual([]);
    await waitFor("the site to stop being served", async () => (await backendGet(node, "shop.example.test", "/")).status === 404);

    await withAdmin(node, async (conn) => {
      const databases: { Database: string }[] = await conn.query("SHOW DATABASES");
      expect(databases.map((d) => d.Database)).not.toContain(dbName);
      expect(await conn.query("SELECT User FROM mysql.global_priv WHERE User = ?", [dbName])).toEqual([]);
      expect(await conn.query("SELECT User FROM mysql.db WHERE User = ?", [dbName])).toEqual([]);
    });
    await expect(dbLogin(dbName, password)).rejects.toThrow();
    expect(await converge(node, emptySpec)).toEqual([]);
  });
});
