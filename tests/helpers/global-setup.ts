import { execFileSync } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { ensureTestTls } from "./cluster-tls";

// Builds the migrated template database that every integration test file clones. scripts/test.sh
// sets SHOAL_TEST_PG (a server URL without a database); a developer running vitest directly gets
// the local default.
const root = path.resolve(import.meta.dirname, "../..");

export default async function setup() {
  const server = process.env.SHOAL_TEST_PG ?? "postgresql://postgres@127.0.0.1:5432";
  const template = process.env.SHOAL_TEST_TEMPLATE ?? `shoal_tpl_${process.pid}`;
  process.env.SHOAL_TEST_PG = server;
  process.env.SHOAL_TEST_TEMPLATE = template;
  // The tests' cluster CA, before any test file starts an agent or calls one.
  await ensureTestTls();
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${template}"`);
  execFileSync(process.execPath, [path.join(root, "node_modules/prisma/build/index.js"), "migrate", "deploy"], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: `${server}/${template}`,
      NODE_OPTIONS: `--require ${path.join(root, "scripts/unref-timers.cjs")}`,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  await admin.end();
  return async () => {
    const cleanup = new pg.Client({ connectionString: `${server}/postgres` });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await cleanup.end();
  };
}
