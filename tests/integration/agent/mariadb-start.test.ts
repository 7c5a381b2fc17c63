import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mariadbInitialised, startMariadb, stopMariadb, withAdmin } from "../../../worker/agent/drivers/mariadb";
import { ensureNodeLayout, type NodeRoot } from "../../../worker/agent/node-root";
import { destroyNode, makeNode } from "./node-harness";

// Starting a node's MariaDB against the real mariadb-install-db and mariadbd: the agent's resume
// and a converge both start it, and an interrupted install-db leaves a directory that looks made.
// Either once left a server whose root was refused ("Access denied for user 'root'@'localhost'").

let node: NodeRoot;

async function rootUser(): Promise<string> {
  return withAdmin(node, async (conn) => {
    const [row]: { who: string }[] = await conn.query("SELECT CURRENT_USER() AS who");
    return row!.who;
  });
}

async function emptyDataDir(): Promise<void> {
  await stopMariadb(node);
  await rm(node.mysqlDataDir, { recursive: true, force: true });
  await ensureNodeLayout(node);
}

/** A stopped server over a data directory holding just these files (paths relative to it). */
async function dataDirWith(files: Record<string, string>): Promise<void> {
  await emptyDataDir();
  for (const [file, body] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(node.mysqlDataDir, file)), { recursive: true });
    await writeFile(path.join(node.mysqlDataDir, file), body);
  }
}

beforeAll(async () => {
  node = await makeNode("127.0.27.1", 18601, 13601);
  await ensureNodeLayout(node);
});

afterAll(async () => {
  await destroyNode(node);
}, 60_000);

describe("starting a node's MariaDB", () => {
  it("runs install-db once when two starts race on a fresh data directory, and root logs in", async () => {
    expect(await mariadbInitialised(node)).toBe(false);
    await Promise.all([startMariadb(node), startMariadb(node), startMariadb(node)]);
    expect(await mariadbInitialised(node)).toBe(true);
    expect(await rootUser()).toBe("root@localhost");
    // Already running: a further start is a no-op.
    await startMariadb(node);
    expect(await rootUser()).toBe("root@localhost");
  }, 180_000);

  it("starts over from a data directory an interrupted install-db left half made", async () => {
    // What a killed install-db leaves: the system schema directory, some files, no grant tables.
    await dataDirWith({ "mysql/db.frm": "half", aria_log_control: "half" });
    expect(await mariadbInitialised(node)).toBe(false);
    await startMariadb(node);
    expect(await mariadbInitialised(node)).toBe(true);
    expect(existsSync(path.join(node.mysqlDataDir, "mysql", "global_priv.MAI"))).toBe(true);
    expect(existsSync(path.join(node.mysqlDataDir, "shoal-installing"))).toBe(false);
    expect(await rootUser()).toBe("root@localhost");
  }, 180_000);

  it("starts over when install-db was killed after making the grant tables but before root was in them", async () => {
    await dataDirWith({ "shoal-installing": "install-db started\n", "mysql/global_priv.MAI": "half" });
    expect(await mariadbInitialised(node)).toBe(false);
    await startMariadb(node);
    expect(await rootUser()).toBe("root@localhost");
  }, 180_000);

  it("takes a data directory from before the markers as made when its grant tables are there", async () => {
    await stopMariadb(node);
    await rm(path.join(node.mysqlDataDir, "shoal-initialised"));
    expect(await mariadbInitialised(node)).toBe(true);
    await startMariadb(node);
    expect(await rootUser()).toBe("root@localhost");
  }, 60_000);

  it("refuses to reinitialise a directory without grant tables that holds a customer's database", async () => {
    await dataDirWith({ "mysql/db.frm": "half", "acme_shop/orders.ibd": "customer rows" });
    await expect(startMariadb(node)).rejects.toThrow(/was never fully initialised but holds databases \(acme_shop\): not reinitialising it/);
    // Nothing was deleted, and the next start (after an operator looked) is not stuck behind this one.
    expect((await readdir(node.mysqlDataDir)).sort()).toEqual(["acme_shop", "mysql"]);
    await expect(startMariadb(node)).rejects.toThrow(/not reinitialising it/);
    await emptyDataDir();
  }, 60_000);
});
