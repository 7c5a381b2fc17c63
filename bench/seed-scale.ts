// Builds the benchmark database shoal_bench at the target scale: the normal demo seed, then 50
// resellers, 100k customers (each with one hosting account), 300k domains and ~200k audit events,
// all inserted with set-based SQL so the whole thing takes well under two minutes.
//
//   npx tsx bench/seed-scale.ts
//
// SHOAL_BENCH_PG: the Postgres server (default postgresql://postgres@127.0.0.1:5432). The database
// shoal_bench on it is DROPPED and recreated.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { BENCH_AUTH_SECRET, benchDatabaseUrl, benchServerUrl, BENCH_DATABASE } from "./bench-env";
import { findDemoRows, type DemoRows } from "./demo-rows";

const CUSTOMERS = 100_000;
/** Customers owned by the demo "Reseller One": its customer list is the realistic worst case. */
const RESELLER_ONE_CUSTOMERS = 20_000;
const RESELLERS = 50;
/** Of the RESELLERS, this many are sub-resellers of the first few top-level ones. */
const SUB_RESELLERS = 5;
const DOMAINS = 300_000;
const DEMO_CUSTOMER_DOMAINS = 100;
const AUDIT_EVENTS = 200_000;
const BULK_TABLES = ["Customer", "HostingAccount", "Domain", "AuditEvent"];

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", env });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited with ${code ?? signal}`)),
    );
  });
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  console.log(`  ${label.padEnd(44)} ${((performance.now() - start) / 1000).toFixed(1).padStart(6)} s`);
  return result;
}

async function recreateDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: `${benchServerUrl()}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${BENCH_DATABASE}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${BENCH_DATABASE}"`);
  } finally {
    await admin.end();
  }
}

// Word lists for names that look like a hosting panel's data (and give search something to find).
const FIRST = ["Alice", "Bruno", "Chen", "Dana", "Emeka", "Fatima", "Gustav", "Hana", "Ivan", "Julia", "Kofi", "Lena", "Marco", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe"];
const LAST = ["Anders", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka", "Umar", "Varga", "Weber", "Xu", "Yilmaz", "Zhang"];
const WORDS = ["acme", "blue", "cedar", "delta", "ember", "fjord", "granite", "harbor", "iris", "juniper", "kite", "lumen", "maple", "nova", "orbit", "pine", "quartz", "river", "summit", "tide", "umber", "vista", "willow", "xenon", "yonder", "zephyr"];
const TLDS = ["com", "net", "org", "io", "dev", "shop", "co.uk", "de", "fr", "nl"];
const ACTIONS: [string, string][] = [
  ["customer.create", "Customer"], ["customer.update", "Customer"], ["customer.suspend", "Customer"],
  ["domain.create", "Domain"], ["domain.delete", "Domain"], ["site.create", "Site"], ["site.update", "Site"],
  ["database.create", "Database"], ["plan.update", "Plan"], ["session.signIn", "User"],
];

const sqlArray = (values: string[]) => `ARRAY[${values.map((v) => `'${v}'`).join(",")}]`;

async function bulkInsert(client: pg.Client, demo: DemoRows): Promise<void> {
  // Deterministic data from run to run.
  await client.query("SELECT setseed(0.4242)");
  // A bulk load: losing the last commits on a crash is fine, waiting for each fsync is not.
  await client.query("SET synchronous_commit = off");
  await client.query("SET maintenance_work_mem = '256MB'");

  await timed(`${RESELLERS} resellers (${SUB_RESELLERS} sub), brands, plans`, async () => {
    const top = RESELLERS - SUB_RESELLERS;
    await client.query(
      `INSERT INTO "Reseller" (id, name, "parentId", path, "createdAt", "updatedAt")
       SELECT 'cbr' || lpad(g::text, 5, '0'),
              initcap(w.words[1 + (g * 7) % 26]) || ' ' || initcap(w.words[1 + (g * 11) % 26]) || ' Hosting ' || g,
              $1, $2 || 'cbr' || lpad(g::text, 5, '0') || '/',
              now() - (random() * interval '1500 days'), now()
         FROM generate_series(1, $3::int) g, (SELECT ${sqlArray(WORDS)} AS words) w`,
      [demo.platformId, demo.platformPath, top],
    );
    // Sub-resellers hang under the first top-level ones, so a few subtrees are two levels deep.
    await client.query(
      `INSERT INTO "Reseller" (id, name, "parentId", path, "createdAt", "updatedAt")
       SELECT 'cbr' || lpad(g::text, 5, '0'), parent.name || ' Partner ' || g,
              parent.id, parent.path || 'cbr' || lpad(g::text, 5, '0') || '/',
              now() - (random() * interval '900 days'), now()
         FROM generate_series($1::int + 1, $1::int + $2::int) g
         JOIN "Reseller" parent ON parent.id = 'cbr' || lpad((g - $1::int)::text, 5, '0')`,
      [top, SUB_RESELLERS],
    );
    await client.query(
      `INSERT INTO "Brand" ("resellerId", "displayName", "supportEmail", "updatedAt")
       SELECT id, name, 'support@' || id || '.example', now() FROM "Reseller" WHERE id LIKE 'cbr%'`,
    );
    // Every reseller that will own bench customers needs a plan (the demo seed may have made some).
    await client.query(
      `INSERT INTO "Plan" (id, "resellerId", name, "maxSites", "diskMb", "maxDatabases", "maxMailboxes", "trafficGbMonth", "updatedAt")
       SELECT 'cbp' || substr(md5(r.id), 1, 22), r.id, 'Bench Standard', 10, 20000, 10, 50, 500, now()
         FROM "Reseller" r
        WHERE (r.id LIKE 'cbr%' OR r.id = $1)
          AND NOT EXISTS (SELECT 1 FROM "Plan" p WHERE p."resellerId" = r.id AND p."archivedAt" IS NULL)`,
      [demo.resellerOneId],
    );
  });

  // Building an index once over the loaded rows is several times faster than updating it row by
  // row (the trigram GIN indexes most of all), so the bulk-loaded tables' secondary indexes are
  // dropped here and recreated from their own definitions afterwards.
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    `SELECT i.indexname AS name, i.indexdef AS definition
       FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    [BULK_TABLES],
  );
  await timed(`drop ${indexes.length} secondary indexes`, async () => {
    for (const index of indexes) await client.query(`DROP INDEX "${index.name}"`);
  });

  await timed(`${CUSTOMERS.toLocaleString("en")} customers + hosting accounts`, async () => {
    // Index 0 is Reseller One (it takes RESELLER_ONE_CUSTOMERS), 1..RESELLERS the bench resellers.
    await client.query(
      `CREATE TEMP TABLE bench_reseller AS
       SELECT 0 AS i, $1::text AS id,
              (SELECT p.id FROM "Plan" p WHERE p."resellerId" = $1 AND p."archivedAt" IS NULL ORDER BY p."createdAt", p.id LIMIT 1) AS plan_id
       UNION ALL
       SELECT row_number() OVER (ORDER BY r.id)::int, r.id,
              (SELECT p.id FROM "Plan" p WHERE p."resellerId" = r.id ORDER BY p."createdAt", p.id LIMIT 1)
         FROM "Reseller" r WHERE r.id LIKE 'cbr%'`,
      [demo.resellerOneId],
    );
    await client.query(
      `CREATE TEMP TABLE bench_customer AS
       SELECT g AS i,
              'cbc' || substr(md5('customer' || g), 1, 22) AS id,
              'cba' || substr(md5('account' || g), 1, 22) AS account_id,
              r.id AS reseller_id, r.plan_id,
              w.first[1 + (g * 7) % 26] AS first, w.last[1 + ((g / 26) * 11 + g) % 26] AS last,
              now() - (random() * interval '1095 days') AS created_at
         FROM generate_series(1, $1::int) g
         JOIN bench_reseller r ON r.i = CASE WHEN g <= $2::int THEN 0 ELSE 1 + (g % $3::int) END,
              (SELECT ${sqlArray(FIRST)} AS first, ${sqlArray(LAST)} AS last) w`,
      [CUSTOMERS, RESELLER_ONE_CUSTOMERS, RESELLERS],
    );
    await client.query(`ALTER TABLE bench_customer ADD PRIMARY KEY (i)`);
    await client.query(
      `INSERT INTO "Customer" (id, "resellerId", name, email, company, status, "createdAt", "updatedAt", "deletedAt")
       SELECT id, reseller_id, first || ' ' || last,
              lower(first) || '.' || lower(last) || i || '@example.com',
              CASE WHEN i % 3 = 0 THEN last || ' ' || (ARRAY['Ltd', 'GmbH', 'BV', 'SARL', 'LLC'])[1 + i % 5] END,
              (CASE WHEN i % 50 = 0 THEN 'SUSPENDED' WHEN i % 199 = 0 THEN 'TERMINATED' ELSE 'ACTIVE' END)::"TenantStatus",
              created_at, created_at,
              CASE WHEN i % 199 = 0 THEN created_at + interval '30 days' END
         FROM bench_customer`,
    );
    await client.query(
      `INSERT INTO "HostingAccount" (id, "customerId", "planId", username, status, "observedGeneration", "createdAt", "updatedAt", "deletedAt")
       SELECT account_id, id, plan_id, lower(left(first, 6)) || i,
              (CASE WHEN i % 50 = 0 THEN 'SUSPENDED' WHEN i % 199 = 0 THEN 'TERMINATED' ELSE 'ACTIVE' END)::"TenantStatus",
              1, created_at, created_at,
              CASE WHEN i % 199 = 0 THEN created_at + interval '30 days' END
         FROM bench_customer`,
    );
  });

  await timed(`${DOMAINS.toLocaleString("en")} domains`, async () => {
    // The first DEMO_CUSTOMER_DOMAINS go to the demo customer's account, the rest round-robin over
    // the bench accounts (about three each).
    await client.query(
      `INSERT INTO "Domain" (id, "accountId", name, "displayName", "observedGeneration", "createdAt", "updatedAt", "deletedAt")
       SELECT 'cbd' || substr(md5('domain' || g), 1, 22),
              CASE WHEN g <= $2::int THEN $3 ELSE c.account_id END,
              d.name, d.name, 1, c.created_at + random() * (now() - c.created_at), now(),
              -- A torn-down account's domains are soft-deleted with it.
              CASE WHEN g > $2::int AND c.i % 199 = 0 THEN c.created_at + interval '30 days' END
         FROM generate_series(1, $1::int) g
         JOIN bench_customer c ON c.i = 1 + (g % $4::int),
              LATERAL (SELECT w.words[1 + (g * 7) % 26] || '-' || w.words[1 + (g / 26) % 26] || g || '.' || w.tlds[1 + g % 10] AS name
                         FROM (SELECT ${sqlArray(WORDS)} AS words, ${sqlArray(TLDS)} AS tlds) w) d`,
      [DOMAINS, DEMO_CUSTOMER_DOMAINS, demo.demoAccountId, CUSTOMERS],
    );
  });

  await timed(`${AUDIT_EVENTS.toLocaleString("en")} audit events`, async () => {
    await client.query(
      `INSERT INTO "AuditEvent" (id, "resellerId", "customerId", "actorEmail", action, "targetType", "targetId", after, ip, "createdAt")
       SELECT 'cbe' || substr(md5('audit' || g), 1, 22), c.reseller_id, c.id,
              lower(c.first) || '.' || lower(c.last) || c.i || '@example.com',
              a.actions[1 + g % ${ACTIONS.length}], a.types[1 + g % ${ACTIONS.length}], c.id,
              jsonb_build_object('name', c.first || ' ' || c.last),
              '192.0.2.' || (g % 250 + 1),
              c.created_at + random() * (now() - c.created_at)
         FROM generate_series(1, $1::int) g
         JOIN bench_customer c ON c.i = 1 + ((g::bigint * 7919) % $2::int),
              (SELECT ${sqlArray(ACTIONS.map((a) => a[0]))} AS actions, ${sqlArray(ACTIONS.map((a) => a[1]))} AS types) a`,
      [AUDIT_EVENTS, CUSTOMERS],
    );
  });

  await timed(`recreate ${indexes.length} secondary indexes`, async () => {
    for (const index of indexes) await client.query(index.definition);
  });

  await timed("ANALYZE", () => client.query("ANALYZE"));
}

async function main(): Promise<void> {
  const started = performance.now();
  const url = benchDatabaseUrl();
  const env = { ...process.env, DATABASE_URL: url, AUTH_SECRET: process.env.AUTH_SECRET ?? BENCH_AUTH_SECRET };
  console.log(`Seeding ${url}`);

  await timed("drop + create database", recreateDatabase);
  await timed("prisma migrate deploy", () =>
    run(process.execPath, ["node_modules/prisma/build/index.js", "migrate", "deploy"], {
      ...env,
      NODE_OPTIONS: "--require=./scripts/unref-timers.cjs",
    }),
  );
  await timed("demo seed (prisma/seed.ts)", () => run("npx", ["tsx", "prisma/seed.ts"], env));

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const demo = await findDemoRows(client);
    await bulkInsert(client, demo);
    const counts: [string, string, unknown[]][] = [
      ["resellers", `SELECT count(*) FROM "Reseller"`, []],
      ["customers", `SELECT count(*) FROM "Customer"`, []],
      ["  of Reseller One", `SELECT count(*) FROM "Customer" WHERE "resellerId" = $1`, [demo.resellerOneId]],
      ["hosting accounts", `SELECT count(*) FROM "HostingAccount"`, []],
      ["domains", `SELECT count(*) FROM "Domain"`, []],
      ["  of the demo customer", `SELECT count(*) FROM "Domain" WHERE "accountId" = $1`, [demo.demoAccountId]],
      ["audit events", `SELECT count(*) FROM "AuditEvent"`, []],
    ];
    for (const [label, sql, params] of counts) {
      const { rows } = await client.query<{ count: string }>(sql, params);
      console.log(`  ${label.padEnd(24)} ${Number(rows[0]!.count).toLocaleString("en").padStart(9)}`);
    }
  } finally {
    await client.end();
  }
  console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s (target: under 120 s).`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
