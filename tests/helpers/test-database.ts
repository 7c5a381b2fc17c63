import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll } from "vitest";
import { purposeKey } from "../../server/contract/cluster-secrets";

// Runs before each integration test file's imports: the file gets its own database, cloned from
// the migrated template, so files run in parallel without seeing each other's rows. server/db.ts
// reads DATABASE_URL when first imported, which is after this.
const server = process.env.SHOAL_TEST_PG!;
const template = process.env.SHOAL_TEST_TEMPLATE!;
const name = `shoal_t_${randomBytes(6).toString("hex")}`;

const admin = new pg.Client({ connectionString: `${server}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
await admin.end();

process.env.DATABASE_URL = `${server}/${name}`;
process.env.AUTH_SECRET ??= "test-secret-test-secret-test-secret-0123456789";
// The control plane's secret, and the one key of it the panel holds (server/env.ts: optional),
// which lets site.revealAppAdmin derive app passwords.
process.env.SHOAL_CLUSTER_SECRET ??= "test-cluster-secret-test-cluster-secret-0123";
process.env.SHOAL_APP_ADMIN_KEY ??= purposeKey(process.env.SHOAL_CLUSTER_SECRET, "app-admin");
process.env.SHOAL_CERTIFICATE_KEY ??= purposeKey(process.env.SHOAL_CLUSTER_SECRET, "certificate-key");
// Its own BullMQ queues too (the panel's questions to nodes, server/jobs/node-read.ts), so files
// running at once, or a dev cluster on this Redis, never take each other's jobs.
process.env.SHOAL_QUEUE_PREFIX ??= name;

afterAll(async () => {
  const { db } = await import("../../server/db");
  await db.$disconnect();
  const cleanup = new pg.Client({ connectionString: `${server}/postgres` });
  await cleanup.connect();
  await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await cleanup.end();
});
