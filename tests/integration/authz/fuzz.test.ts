import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { db } from "../../../server/db";
import { appRouter } from "../../../server/trpc/root";
import type { Context } from "../../../server/trpc/init";
import { authFor, makeWorld } from "../../helpers/fixtures";
import { dropNodeReads, startNodeReads, type NodeReads } from "../../helpers/node-reads";
import { cases } from "./cases";
import { leaks, procedures, sendHttp, stringLeaves, withLeaf } from "./http-call";
import type { World } from "./matrix";
import { grantableScopes } from "../../../server/auth/token-scopes";
import { compiledRoutes } from "../../../server/rest/procedures";
import { makeToken } from "../api-token/authz-cases";
import { requestFor, rest } from "../rest/rest-call";

// The fuzz run of `npm test`: every procedure, as an admin, a reseller and a customer, with
// inputs generated from its own zod input schema (through its JSON Schema) and mixed with hostile
// values, and with valid inputs of the authorisation matrix whose leaves are swapped for hostile
// values. Each answer: never a 5xx, never internal text; and a refused call leaves every table as
// it was (row counts; the rate-limit counters and sessions, which a refused call may touch, aside).
// Seeded and bounded; prints its counts. No node runs here, so nothing can reach one.

const SEED = 20261207;
const GENERATED_PER_ROLE = 12;
const MUTATED_PER_ROLE = 8;
// The REST routes run the same procedures; fewer samples each, for the suite's time.
const REST_GENERATED_PER_ROLE = 2;
const REST_MUTATED_PER_ROLE = 2;

const hostileStrings = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "line\r\nX-Injected: 1",
  "../../../../etc/passwd",
  "..",
  "/",
  "C:\\Windows\\win.ini",
  "'; DROP TABLE \"User\"; --",
  "' OR '1'='1",
  "$(id)",
  "`id`",
  "; rm -rf / #",
  "<script>alert(1)</script>",
  "\"><img src=x onerror=alert(1)>",
  "{{7*7}}",
  "%00%2e%2e%2f",
  "x".repeat(10_000),
  "раураl.com",
  "xn--80ak6aa92e.com",
  "\u202egnp.exe",
  "\ud800",
  "💥🔥",
  "\u0007\u001b[31m",
  "null",
  "undefined",
  "-1",
  "1e309",
];
const hostileString = fc.oneof(fc.constantFrom(...hostileStrings), fc.string({ unit: "binary", maxLength: 40 }));
const hostileValue = fc.oneof(
  hostileString,
  fc.constantFrom<unknown>(null, -1, 0, 2 ** 31, -(2 ** 53), 1e308, 0.5, true, [], {}, ["a"], { nested: { deep: "\u0000" } }),
);

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
};

/** Values shaped by the schema (often valid, often just outside it), each leaf sometimes hostile. */
function arbitraryFor(s: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const sometimesHostile = (a: fc.Arbitrary<unknown>) => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: hostileValue });
  if (s.const !== undefined) return sometimesHostile(fc.constant(s.const));
  if (s.enum) return sometimesHostile(fc.constantFrom(...s.enum));
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => arbitraryFor(a, depth)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "string":
      return sometimesHostile(
        fc.oneof(
          fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 60) }),
          fc.string({ unit: "grapheme", minLength: Math.max(0, (s.minLength ?? 0) - 1), maxLength: (s.maxLength ?? 40) + 2 }),
        ),
      );
    case "integer":
    case "number": {
      const min = s.minimum ?? -1_000_000;
      const max = s.maximum ?? 1_000_000;
      return sometimesHostile(fc.oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.constantFrom(min - 1, max + 1)));
    }
    case "boolean":
      return sometimesHostile(fc.boolean());
    case "null":
      return fc.constant(null);
    case "array":
      return depth > 3 ? fc.constant([]) : fc.array(s.items ? arbitraryFor(s.items, depth + 1) : hostileValue, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 4, 6) });
    case "object": {
      if (depth > 3) return fc.constant({});
      const entries = Object.entries(s.properties ?? {});
      const record = fc.record(Object.fromEntries(entries.map(([k, v]) => [k, arbitraryFor(v, depth + 1)])), {
        requiredKeys: (s.required ?? []).filter((k) => entries.some(([e]) => e === k)),
      });
      // Now and then a key the schema does not know.
      return fc.oneof({ weight: 5, arbitrary: record }, { weight: 1, arbitrary: fc.tuple(record, hostileValue).map(([r, v]) => ({ ...r, unexpected: v })) });
    }
    default:
      return hostileValue;
  }
}

/** Rows per table, one statement: what a refused call must leave as it was. */
async function tableCounts(tables: string[]): Promise<Record<string, number>> {
  const sql = `SELECT ${tables.map((t) => `(SELECT count(*) FROM "${t}")::int AS "${t}"`).join(", ")}`;
  const rows = await db.$queryRawUnsafe<Record<string, number>[]>(sql);
  return rows[0]!;
}

let reads: NodeReads;
let w: World;
let tables: string[];
beforeAll(async () => {
  reads = await startNodeReads();
  w = await makeWorld();
  const all = await db.$queryRaw<{ table_name: string }[]>`SELECT table_name::text AS table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
  // A refused sign-in-like call counts an attempt, and every signed-in call touches its session.
  // A REST call's refusal is kept as its Idempotency-Key answer (none is sent here, but the table is not the call's change).
  tables = all.map((t) => t.table_name).filter((t) => !["RateLimit", "Session", "IdempotencyKey", "_prisma_migrations"].includes(t));
});
afterAll(async () => {
  await reads?.stop();
  await dropNodeReads();
});

describe("fuzzing every procedure through the HTTP handler", () => {
  it("never answers a 5xx or internal text, and a refused call saves nothing", { timeout: 600_000 }, async () => {
    const roles = { admin: w.users.admin, reseller: w.users.resellerA, customer: w.users.customerA } as const;
    const problems: string[] = [];
    const counts: { path: string; calls: number; ok: number; refused: number; server: number }[] = [];
    let seed = SEED;
    for (const [path, proc] of procedures) {
      const row = { path, calls: 0, ok: 0, refused: 0, server: 0 };
      counts.push(row);
      const schema = proc._def.inputs[0] as z.ZodType | undefined;
      const generated = schema
        ? (z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema)
        : ({} as JsonSchema);
      for (const [role, user] of Object.entries(roles)) {
        const ctx: Context = { headers: new Headers(), ip: "127.0.0.1", auth: authFor(user), resHeaders: new Headers() };
        const inputs = fc.sample(arbitraryFor(generated), { seed: seed++, numRuns: GENERATED_PER_ROLE });
        // A valid input of the matrix for this caller's own tenant, one leaf swapped for a hostile value.
        const c = cases[path];
        if (c) {
          const valid = c.input ? await c.input(w, "A") : (c.plainInput ?? {});
          const leaves = stringLeaves(valid);
          // Half hostile values, half plausible ones (a name, a number): the latter get past the
          // schema and into the service, where a half-done change could be left behind.
          const plausible = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{2,20}$/), fc.integer({ min: 0, max: 1000 }), fc.constant("x"));
          const swaps = fc.sample(fc.tuple(fc.nat(), fc.oneof(hostileValue, plausible)), { seed: seed++, numRuns: MUTATED_PER_ROLE });
          for (const [pick, value] of swaps) inputs.push(leaves.length ? withLeaf(valid, leaves[pick % leaves.length]!, value) : value);
        }
        for (const input of inputs) {
          const before = await tableCounts(tables);
          const answer = await sendHttp(appRouter, ctx, path, proc._def.type, input);
          row.calls++;
          const shown = `${path} as ${role} with ${JSON.stringify(input)?.slice(0, 160)}: ${answer.status} ${answer.text.slice(0, 160)}`;
          if (answer.status >= 500) {
            row.server++;
            problems.push(`5xx: ${shown}`);
          } else if (answer.status >= 400) {
            row.refused++;
            const after = await tableCounts(tables);
            const changed = tables.filter((t) => after[t] !== before[t]);
            if (changed.length) problems.push(`refused but saved (${changed.join(", ")}): ${shown}`);
          } else row.ok++;
          if (leaks.test(answer.text)) problems.push(`internal text: ${shown}`);
        }
      }
    }
    const total = counts.reduce((t, r) => ({ calls: t.calls + r.calls, ok: t.ok + r.ok, refused: t.refused + r.refused, server: t.server + r.server }), { calls: 0, ok: 0, refused: 0, server: 0 });
    console.log(
      [
        `fuzz (seed ${SEED}): ${total.calls} calls over ${counts.length} procedures as admin, reseller and customer: ${total.ok} answered, ${total.refused} refused (4xx), ${total.server} 5xx`,
        ...counts.map((r) => `  ${r.path.padEnd(32)} ${String(r.calls).padStart(4)} calls  ${String(r.ok).padStart(3)} ok  ${String(r.refused).padStart(3)} 4xx  ${r.server} 5xx`),
      ].join("\n"),
    );
    expect(problems).toEqual([]);
  });
});

describe("fuzzing every REST route through the REST handler", () => {
  it("never answers a 5xx or internal text, and a refused call saves nothing", { timeout: 600_000 }, async () => {
    const users = { admin: w.users.admin, reseller: w.users.resellerA, customer: w.users.customerA } as const;
    // Tokens act only for owners with two-factor sign-in where the panel requires it.
    await db.user.updateMany({ where: { id: { in: Object.values(users).map((u) => u.id) } }, data: { twoFactorEnabled: true } });
    const tokens = Object.fromEntries(
      await Promise.all(Object.entries(users).map(async ([role, user]) => [role, (await makeToken(user, grantableScopes(user.role))).token] as const)),
    );
    const problems: string[] = [];
    const total = { calls: 0, ok: 0, refused: 0, server: 0 };
    let seed = SEED + 1_000_000;
    for (const route of compiledRoutes) {
      const schema = route.proc._def.inputs[0];
      const generated = schema ? (z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema) : ({} as JsonSchema);
      for (const [role, token] of Object.entries(tokens)) {
        const inputs = fc.sample(arbitraryFor(generated), { seed: seed++, numRuns: REST_GENERATED_PER_ROLE });
        const c = cases[route.procedure];
        if (c) {
          const valid = c.input ? await c.input(w, "A") : (c.plainInput ?? {});
          const leaves = stringLeaves(valid);
          const swaps = fc.sample(fc.tuple(fc.nat(), hostileValue), { seed: seed++, numRuns: REST_MUTATED_PER_ROLE });
          for (const [pick, value] of swaps) inputs.push(leaves.length ? withLeaf(valid, leaves[pick % leaves.length]!, value) : value);
        }
        for (const input of inputs) {
          const before = await tableCounts(tables);
          let request: { path: string; body?: unknown };
          try {
            request = requestFor(route, input);
          } catch {
            // A lone surrogate cannot be put in a URL by any client; the schema-level fuzz above covers it.
            continue;
          }
          const answer = await rest(token, route.method, request.path, { body: request.body });
          total.calls++;
          const shown = `${route.method} ${request.path.slice(0, 120)} as ${role} with ${JSON.stringify(request.body)?.slice(0, 120)}: ${answer.status} ${answer.text.slice(0, 160)}`;
          if (answer.status >= 500) {
            total.server++;
            problems.push(`5xx: ${shown}`);
          } else if (answer.status >= 400) {
            total.refused++;
            const after = await tableCounts(tables);
            const changed = tables.filter((t) => after[t] !== before[t]);
            if (changed.length) problems.push(`refused but saved (${changed.join(", ")}): ${shown}`);
          } else total.ok++;
          if (leaks.test(answer.text)) problems.push(`internal text: ${shown}`);
        }
      }
    }
    console.log(`REST fuzz (seed ${SEED + 1_000_000}): ${total.calls} calls over ${compiledRoutes.length} routes as admin, reseller and customer tokens: ${total.ok} answered, ${total.refused} refused (4xx), ${total.server} 5xx`);
    expect(problems).toEqual([]);
  });
});
