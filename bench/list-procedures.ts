// Server time of the main list procedures on the seeded shoal_bench database (bench/seed-scale.ts):
// each procedure is called in-process through the tRPC caller, exactly as the HTTP handler would
// after it has read the session (middleware, tenant scope, zod input/output, Prisma; no HTTP, no
// JSON encoding), at its first, a middle and its last page and with one search.
//
//   npx tsx bench/list-procedures.ts            (ITERATIONS=200 WARMUP=20 by default)
//
// Prints p50/p99 per case against the 20 ms target; for a case over target, EXPLAIN ANALYZE of the
// SQL statement it spent most time in. The machine's load average is printed too: on a shared
// machine, other processes' CPU use shows up in the tail.
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { BENCH_AUTH_SECRET, benchDatabaseUrl } from "./bench-env";
import { findDemoRows } from "./demo-rows";

const TARGET_MS = 20;
const ITERATIONS = Number(process.env.ITERATIONS ?? 200);
const WARMUP = Number(process.env.WARMUP ?? 20);
/** A slow case stops early (after at least MIN_ITERATIONS) so the whole run stays bounded. */
const CASE_BUDGET_MS = Number(process.env.CASE_BUDGET_MS ?? 15_000);
const MIN_ITERATIONS = 30;
/** Only the procedures whose name contains this (e.g. ONLY=audit.list). */
const ONLY = process.env.ONLY ?? "";
const LIMIT = 25;
/** audit.list pages by 50 unless told otherwise; we keep its default, as the page does. */
const AUDIT_LIMIT = 50;

// server/env.ts reads the environment when first imported, so everything from server/ is imported
// dynamically after this.
process.env.DATABASE_URL = benchDatabaseUrl();
process.env.AUTH_SECRET ??= BENCH_AUTH_SECRET;

const { PrismaClient } = await import("../server/generated/prisma/client");
const { PrismaPg } = await import("@prisma/adapter-pg");

type LoggedQuery = { sql: string; params: unknown[]; ms: number };
let captured: LoggedQuery[] | null = null;

// The same client server/db.ts builds, plus query events, so a slow case can show its SQL. It is
// installed where server/db.ts looks for the process's client before making its own.
const benchDb = new PrismaClient({
  adapter: new PrismaPg({ connectionString: benchDatabaseUrl(), max: 10 }),
  log: [{ emit: "event", level: "query" }],
});
benchDb.$on("query", (e) => {
  captured?.push({ sql: e.query, params: JSON.parse(e.params) as unknown[], ms: e.duration });
});
(globalThis as unknown as { shoalDb?: unknown }).shoalDb = benchDb;

const { createCaller } = await import("../server/trpc/root");
const { encodeCursor } = await import("../server/services/pagination");
type Caller = ReturnType<typeof createCaller>;
type SessionUser = import("../server/auth/auth-state").SessionUser;

const sql = new pg.Client({ connectionString: benchDatabaseUrl() });
await sql.connect();

async function loadUser(id: string): Promise<SessionUser> {
  const { rows } = await sql.query<SessionUser>(
    `SELECT id, email, name, role, "resellerId", "customerId", "twoFactorEnabled" FROM "User" WHERE id = $1`,
    [id],
  );
  return rows[0]!;
}

/** A caller as `user`, with the context tests/helpers/fixtures.ts `authFor` builds. */
function callerFor(user: SessionUser): Caller {
  return createCaller({
    headers: new Headers(),
    ip: "127.0.0.1",
    auth: { user, sessionId: `bench-${user.id}`, impersonator: null, needsTwoFactorSetup: false },
  });
}

type PageResult = { items: unknown[]; nextCursor: string | null };

type ListCase = {
  procedure: string;
  caller: string;
  call: (c: Caller, cursor: string | null, search?: string) => Promise<PageResult>;
  limit: number;
  /** SELECT <sort value> AS v, id ... in the procedure's order and scope; v as text (ISO for times). */
  orderSql: string;
  params: unknown[];
  isDate: boolean;
  search: string;
};

type Measured = {
  procedure: string;
  caller: string;
  page: string;
  calls: number;
  p50: number;
  p99: number;
  /** Median over calls of the summed SQL statement times (as Prisma's query events report them). */
  sqlP50: number;
  rows: number;
  queries: number;
  /** The statement with the highest median time, for EXPLAIN. */
  slowest: LoggedQuery & { medianMs: number };
  /** The first call's result, to check the page landed where the cursor meant it to. */
  first: PageResult;
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

async function cursorAt(c: ListCase, offset: number): Promise<string> {
  const { rows } = await sql.query<{ v: string; id: string }>(`${c.orderSql} OFFSET $${c.params.length + 1} LIMIT 1`, [
    ...c.params,
    offset,
  ]);
  const row = rows[0]!;
  return encodeCursor(c.isDate ? new Date(row.v) : row.v, row.id);
}

async function measure(label: Pick<Measured, "procedure" | "caller" | "page">, run: () => Promise<PageResult>): Promise<Measured> {
  for (let i = 0; i < WARMUP; i++) await run();
  const times: number[] = [];
  const sqlTimes: number[] = [];
  let first: PageResult | null = null;
  let statements: LoggedQuery[][] = [];
  const budgetEnd = performance.now() + CASE_BUDGET_MS;
  for (let i = 0; i < ITERATIONS && (i < MIN_ITERATIONS || performance.now() < budgetEnd); i++) {
    captured = [];
    const start = performance.now();
    const result = await run();
    times.push(performance.now() - start);
    first ??= result;
    sqlTimes.push(captured.reduce((sum, q) => sum + q.ms, 0));
    captured.forEach((q, index) => (statements[index] ??= []).push(q));
  }
  captured = null;
  const byStatement = statements.map((runs) => ({ ...runs[0]!, medianMs: median(runs.map((q) => q.ms)) }));
  statements = [];
  times.sort((a, b) => a - b);
  return {
    ...label,
    calls: times.length,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    sqlP50: median(sqlTimes),
    rows: first!.items.length,
    queries: byStatement.length,
    slowest: byStatement.reduce((a, b) => (b.medianMs > a.medianMs ? b : a)),
    first: first!,
  };
}

async function measureCase(c: ListCase, user: SessionUser): Promise<Measured[]> {
  const caller = callerFor(user);
  const { rows } = await sql.query<{ n: string }>(`SELECT count(*) AS n FROM (${c.orderSql}) t`, c.params);
  const total = Number(rows[0]!.n);
  const pages = Math.max(1, Math.ceil(total / c.limit));
  const middlePage = Math.floor(pages / 2);
  const pageCases: [string, string | null, string | undefined][] = [["first", null, undefined]];
  // A page's cursor is the last row of the page before it.
  if (pages > 2) pageCases.push([`middle (${middlePage + 1}/${pages})`, await cursorAt(c, middlePage * c.limit - 1), undefined]);
  if (pages > 1) pageCases.push([`last (${pages}/${pages})`, await cursorAt(c, (pages - 1) * c.limit - 1), undefined]);
  pageCases.push([`search "${c.search}"`, null, c.search]);

  const out: Measured[] = [];
  for (const [page, cursor, search] of pageCases) {
    const m = await measure({ procedure: c.procedure, caller: c.caller, page }, () => c.call(caller, cursor, search));
    // The cursors are built from SQL, so check they land where the procedure agrees they do.
    if (page.startsWith("last") && m.first.nextCursor !== null) console.warn(`! ${c.procedure} ${c.caller}: last page has a next cursor`);
    if (page.startsWith("middle") && (m.first.nextCursor === null || m.rows !== c.limit)) {
      console.warn(`! ${c.procedure} ${c.caller}: middle page is short`);
    }
    out.push(m);
  }
  return out;
}

async function explain(m: Measured): Promise<string> {
  const q = m.slowest;
  const plan = await sql.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.params);
  return [
    `--- ${m.procedure} / ${m.caller} / ${m.page}: its slowest of ${m.queries} statements (median ${q.medianMs.toFixed(1)} ms)`,
    q.sql,
    `params: ${JSON.stringify(q.params)}`,
    ...plan.rows.map((r) => r["QUERY PLAN"]),
  ].join("\n");
}

async function main(): Promise<void> {
  const demo = await findDemoRows(sql);
  const admin = await loadUser(demo.adminUserId);
  const resellerOne = await loadUser(demo.resellerOneUserId);
  const customer = await loadUser(demo.demoCustomerUserId);
  const iso = (col: string) => `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

  const cases: [ListCase, SessionUser][] = [
    [
      {
        procedure: "reseller.list",
        caller: "admin",
        call: (c, cursor, search) => c.reseller.list({ cursor, limit: LIMIT, search, sort: "name", direction: "asc" }),
        limit: LIMIT,
        orderSql: `SELECT name AS v, id FROM "Reseller" WHERE NOT "isPlatform" ORDER BY name, id`,
        params: [],
        isDate: false,
        search: "summit",
      },
      admin,
    ],
    [
      {
        procedure: "customer.list",
        caller: "admin",
        call: (c, cursor, search) => c.customer.list({ cursor, limit: LIMIT, search, sort: "name", direction: "asc" }),
        limit: LIMIT,
        orderSql: `SELECT name AS v, id FROM "Customer" WHERE "deletedAt" IS NULL ORDER BY name, id`,
        params: [],
        isDate: false,
        search: "okafor",
      },
      admin,
    ],
    [
      {
        procedure: "customer.list",
        caller: "Reseller One",
        call: (c, cursor, search) => c.customer.list({ cursor, limit: LIMIT, search, sort: "name", direction: "asc" }),
        limit: LIMIT,
        orderSql: `SELECT name AS v, id FROM "Customer" WHERE "deletedAt" IS NULL AND "resellerId" = ANY($1) ORDER BY name, id`,
        params: [demo.resellerOneTree],
        isDate: false,
        search: "okafor",
      },
      resellerOne,
    ],
    [
      {
        procedure: "audit.list",
        caller: "admin",
        call: (c, cursor, search) => c.audit.list({ cursor, limit: AUDIT_LIMIT, actorEmail: search }),
        limit: AUDIT_LIMIT,
        orderSql: `SELECT ${iso(`"createdAt"`)} AS v, id FROM "AuditEvent" ORDER BY "createdAt" DESC, id DESC`,
        params: [],
        isDate: true,
        search: "fatima.okafor",
      },
      admin,
    ],
    [
      {
        procedure: "audit.list",
        caller: "Reseller One",
        call: (c, cursor, search) => c.audit.list({ cursor, limit: AUDIT_LIMIT, actorEmail: search }),
        limit: AUDIT_LIMIT,
        orderSql: `SELECT ${iso(`"createdAt"`)} AS v, id FROM "AuditEvent" WHERE "resellerId" = ANY($1) ORDER BY "createdAt" DESC, id DESC`,
        params: [demo.resellerOneTree],
        isDate: true,
        search: "fatima.okafor",
      },
      resellerOne,
    ],
    [
      {
        procedure: "domain.list",
        caller: "demo customer",
        call: (c, cursor, search) => c.domain.list({ cursor, limit: LIMIT, search, sort: "name", direction: "asc" }),
        limit: LIMIT,
        orderSql: `SELECT name AS v, id FROM "Domain" WHERE "accountId" = $1 AND "deletedAt" IS NULL ORDER BY name, id`,
        params: [demo.demoAccountId],
        isDate: false,
        search: "river",
      },
      customer,
    ],
  ];

  console.log(`List procedures on ${benchDatabaseUrl()}: ${WARMUP} warm-up + ${ITERATIONS} timed calls per case, in-process tRPC caller`);
  console.log(`Load average at the start: ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} CPUs.`);
  const results: Measured[] = [];
  for (const [c, user] of cases.filter(([c]) => c.procedure.includes(ONLY))) results.push(...(await measureCase(c, user)));

  const header = ["procedure", "caller", "page", "rows", "stmts", "calls", "sql p50", "p50 ms", "p99 ms", "target", "result"];
  const table = results.map((m) => [
    m.procedure,
    m.caller,
    m.page,
    String(m.rows),
    String(m.queries),
    String(m.calls),
    m.sqlP50.toFixed(2),
    m.p50.toFixed(2),
    m.p99.toFixed(2),
    `${TARGET_MS} ms`,
    m.p99 <= TARGET_MS ? "ok" : "OVER",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i >= 3 && i <= 8 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ");
  console.log();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table) console.log(line(row));
  console.log(
    "\nrows: rows on the page; stmts: SQL statements per call (scope, list, relations); calls: timed calls;" +
      "\nsql p50: median summed statement time per call; p50/p99: whole procedure call.",
  );
  console.log(`Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} CPUs.`);

  const over = results.filter((m) => m.p99 > TARGET_MS);
  console.log(over.length === 0 ? `\nEvery case is within ${TARGET_MS} ms at p99.` : `\n${over.length} case(s) over target:`);
  for (const m of over) console.log(`\n${await explain(m)}`);
}

try {
  await main();
} finally {
  await sql.end();
  await benchDb.$disconnect();
}
