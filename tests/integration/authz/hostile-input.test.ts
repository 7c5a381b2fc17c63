import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { appRouter } from "../../../server/trpc/root";
import { procedure, router, type Context } from "../../../server/trpc/init";
import { authFor, makeWorld } from "../../helpers/fixtures";
import { dropNodeReads, startNodeReads, type NodeReads } from "../../helpers/node-reads";
import { cases } from "./cases";
import { leaks, procedures, sendHttp as send, stringLeaves, withLeaf } from "./http-call";
import type { World } from "./matrix";

// Every procedure through the real tRPC HTTP handler (transformer, middlewares, error formatter),
// as a signed-in admin (whose scope reaches every tenant's objects): a NUL character in any string
// of its input, and a forged pagination cursor, are 400s with the field named; nothing answers a
// 5xx, and no answer carries database or driver text.

let reads: NodeReads;
let w: World;
let admin: Context;
beforeAll(async () => {
  reads = await startNodeReads();
  w = await makeWorld();
  admin = { headers: new Headers(), ip: "127.0.0.1", auth: authFor(w.users.admin), resHeaders: new Headers() };
});
afterAll(async () => {
  await reads?.stop();
  await dropNodeReads();
});

describe("hostile input through the HTTP handler", () => {
  it("a NUL character or a lone surrogate in any string of any procedure's input is a 400 naming the field, never a 5xx", async () => {
    const seen: string[] = [];
    let sent = 0;
    for (const [path, proc] of procedures) {
      const c = cases[path];
      const base = c?.input ? await c.input(w, "A") : (c?.plainInput ?? {});
      // The strings the case sends, and a search and an id a client could add to any input.
      const targets = stringLeaves(base);
      const extended = base !== null && typeof base === "object" && !Array.isArray(base) ? { ...base, search: "ok", id: "ok" } : base;
      for (const leaf of [...targets, ...(extended !== base ? [["search"], ["id"]] : [])]) {
        for (const [bad, message] of [
          ["a\u0000b", "Must not contain a NUL character."],
          ["a\ud800b", "Must be valid Unicode text."],
        ] as const) {
          const answer = await send(appRouter, admin, path, proc._def.type, withLeaf(extended, leaf, bad));
          sent++;
          const field = answer.body.error?.json?.data?.fieldErrors?.[leaf.join(".")];
          if (answer.status !== 400 || field !== message || leaks.test(answer.text)) {
            seen.push(`${path} ${leaf.join(".")}: ${answer.status} ${answer.text.slice(0, 200)}`);
          }
        }
      }
    }
    expect(seen).toEqual([]);
    expect(sent).toBeGreaterThan(procedures.length);
    console.log(`NUL or broken Unicode in input: ${sent} calls over ${procedures.length} procedures, all 400 with the field named`);
  });

  it("a forged or edited pagination cursor is a 400 on the cursor field for every list, never a 5xx or query text", async () => {
    const legacy = Buffer.from(JSON.stringify({ v: { not: "a value" }, id: "x" })).toString("base64url");
    const forged = [legacy, `${legacy}.AAAAAAAAAAAAAAAAAAAAAA`, `${legacy}.`, "...", "a\u00e9b"];
    const lists = procedures.filter(([path, p]) => p._def.type === "query" && /\.list[A-Z]?\w*$/.test(path));
    expect(lists.length).toBeGreaterThan(5);
    const seen: string[] = [];
    for (const [path] of lists) {
      const c = cases[path];
      const base = (c?.input ? await c.input(w, "A") : (c?.plainInput ?? {})) as Record<string, unknown>;
      for (const cursor of forged) {
        const answer = await send(appRouter, admin, path, "query", { ...base, cursor });
        if (answer.status >= 500 || leaks.test(answer.text)) seen.push(`${path}: ${answer.status} ${answer.text.slice(0, 200)}`);
        // A list that takes a cursor refuses a forged one on that field.
        else if (answer.status === 400 && answer.body.error?.json?.data?.fieldErrors?.cursor === undefined) seen.push(`${path}: 400 without the cursor field`);
      }
    }
    expect(seen).toEqual([]);
  });

  it("a list's own cursor still pages", async () => {
    const first = await send(appRouter, admin, "customer.list", "query", { limit: 1 });
    expect(first.status).toBe(200);
    const data = superjson.deserialize<{ nextCursor: string | null }>((first.body as unknown as { result: { data: never } }).result.data);
    expect(data.nextCursor).toMatch(/^[\w-]+\.[\w-]+$/);
    const second = await send(appRouter, admin, "customer.list", "query", { limit: 1, cursor: data.nextCursor });
    expect(second.status).toBe(200);
  });

  it("an unexpected error reaches the client as an incident id, its text only in the log", async () => {
    const failing = router({
      boom: procedure.meta({ access: "public" }).input(z.object({})).query(() => {
        throw new Error(`Invalid \`prisma.customer.findMany()\` invocation: SELECT "public"."Customer"."id" WHERE "resellerId" = 'secret-scope'`);
      }),
    });
    const answer = await send(failing, admin, "boom", "query", {});
    expect(answer.status).toBe(500);
    expect(answer.text).not.toMatch(leaks);
    expect(answer.text).not.toContain("secret-scope");
    expect(answer.body.error?.json?.message).toMatch(/^Something went wrong on our side \(incident [0-9a-f]{12}\)/);
  });
});
