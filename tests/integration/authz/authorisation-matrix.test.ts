import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { permissions, type Access } from "../../../server/auth/permissions";
import { appRouter } from "../../../server/trpc/root";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { dropNodeReads, startNodeReads, type NodeReads } from "../../helpers/node-reads";
import { cases } from "./cases";
import { owns, type Actor, type Tenant } from "./matrix";

// The authorisation matrix: every tRPC procedure × every kind of caller × own and foreign objects.
// A procedure without an access rule, or without an entry in ./cases.ts, fails here: adding a
// procedure means deciding who may call it.

type Proc = { _def: { type: string; meta?: { access?: Access } } };
const procedures = Object.entries((appRouter as unknown as { _def: { procedures: Record<string, Proc> } })._def.procedures);

const actors: Actor[] = ["anonymous", "admin", "resellerA", "resellerB", "subA", "customerA", "customerB"];
const roleOf = { admin: "ADMIN", resellerA: "RESELLER", resellerB: "RESELLER", subA: "RESELLER", customerA: "CUSTOMER", customerB: "CUSTOMER" } as const;
const authzCodes = new Set(["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND"]);

async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return "OK";
  } catch (e) {
    if (e instanceof TRPCError) return e.code;
    throw e;
  }
}

function call(caller: ReturnType<typeof callerFor>, path: string, input: unknown) {
  const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (i: unknown) => Promise<unknown>;
  return () => fn(input);
}

// The snapshot read-outs ask a node through the control worker's node-read consumer: one runs here,
// so an allowed caller's question is answered ("the node is not answering") instead of timing out.
let reads: NodeReads;
beforeAll(async () => {
  reads = await startNodeReads();
});
afterAll(async () => {
  await reads?.stop();
  await dropNodeReads();
});

describe("authorisation matrix", () => {
  it("covers every procedure with an access rule and a case", () => {
    const problems: string[] = [];
    for (const [path, proc] of procedures) {
      const access = proc._def.meta?.access;
      if (!access) problems.push(`${path}: no .meta({ access })`);
      else if (access !== "public" && access !== "signedIn" && !(access in permissions)) problems.push(`${path}: unknown permission ${access}`);
      if (!cases[path]) problems.push(`${path}: no entry in tests/integration/authz/cases.ts`);
    }
    for (const path of Object.keys(cases)) {
      if (!procedures.some(([p]) => p === path)) problems.push(`cases.ts names ${path}, which is not a procedure`);
    }
    expect(problems).toEqual([]);
  });

  for (const [path, proc] of procedures) {
    const access = proc._def.meta?.access;
    const c = cases[path];
    if (!access || !c) continue;
    it(`${path} (${access})`, async () => {
      const w = await makeWorld();
      const seen: string[] = [];
      for (const actor of actors) {
        const caller = actor === "anonymous" ? callerFor(null) : callerFor(w.users[actor]);
        const allowed =
          access === "public" ||
          (actor !== "anonymous" && (access === "signedIn" || (permissions[access] as readonly string[]).includes(roleOf[actor])));
        const tenants: (Tenant | null)[] = c.input ? ["A", "B", "S"] : [null];
        for (const tenant of tenants) {
          const input = tenant && c.input ? await c.input(w, tenant) : c.plainInput;
          const got = await outcome(call(caller, path, input));
          let want: string;
          if (access !== "public" && actor === "anonymous") want = "UNAUTHORIZED";
          else if (!allowed) want = "FORBIDDEN";
          else if (tenant && actor !== "anonymous" && !owns[actor].includes(tenant)) want = "NOT_FOUND";
          else want = c.ownOutcome ?? "OK";
          seen.push(`${actor}${tenant ? `→${tenant}` : ""}: ${got}`);
          if (got !== want) {
            // Validation errors on an allowed own call are the case's fault, not an authz hole,
            // but they hide the authz answer: fail loudly either way with the whole picture.
            expect.soft(`${actor}${tenant ? `→${tenant}` : ""}: ${got}`).toBe(`${actor}${tenant ? `→${tenant}` : ""}: ${want}`);
          }
          if (want !== "OK" && authzCodes.has(want)) expect(authzCodes.has(got) || got === want).toBe(true);
        }
      }
      expect(seen.length).toBeGreaterThan(0);
    });
  }
});
