import { describe, expect, it } from "vitest";
import { tokenScopeOf } from "../../../server/auth/token-scopes";
import type { Permission } from "../../../server/auth/permissions";
import { openApiDocument } from "../../../server/rest/openapi";
import { compiledRoutes, routerProcedures } from "../../../server/rest/procedures";
import { notInApi, restRoutes } from "../../../server/rest/routes";

// The router and the API cannot drift apart: every procedure of the panel is a REST route or is
// listed in notInApi with a reason, every route is in the OpenAPI document and the document has
// nothing else.

type Doc = { paths: Record<string, Record<string, { "x-shoal-procedure": string; "x-token-scope": string | null; responses: Record<string, unknown> }>> };

describe("REST coverage", () => {
  it("has every procedure of the router as a route or as a listed exclusion, and nothing else", () => {
    const problems: string[] = [];
    const routed = new Set(restRoutes.map((r) => r.procedure));
    for (const path of Object.keys(routerProcedures)) {
      if (routed.has(path) && notInApi[path]) problems.push(`${path}: both routed and excluded`);
      if (!routed.has(path) && !notInApi[path]) problems.push(`${path}: neither a REST route nor in notInApi (server/rest/routes.ts)`);
    }
    for (const path of [...routed, ...Object.keys(notInApi)]) if (!routerProcedures[path]) problems.push(`${path}: named in server/rest/routes.ts but not a procedure`);
    for (const [path, reason] of Object.entries(notInApi)) if (reason.length < 20) problems.push(`${path}: give a reason`);
    const seen = new Set<string>();
    for (const r of restRoutes) {
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) problems.push(`${key} twice`);
      seen.add(key);
      if (!/^(\/[a-z][a-z-]*s?(\/\{\w+\})?)+(\/[a-z-]+)?$/.test(r.path)) problems.push(`${key}: not a resource path`);
    }
    expect(problems).toEqual([]);
  });

  it("documents every route, with the scope a token needs, and nothing more", () => {
    const doc = openApiDocument() as unknown as Doc;
    const documented: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) documented.push(`${method.toUpperCase()} ${path} ${op["x-shoal-procedure"]}`);
    expect(documented.sort()).toEqual(restRoutes.map((r) => `${r.method} ${r.path} ${r.procedure}`).sort());
    for (const route of compiledRoutes) {
      const op = doc.paths[route.path]![route.method.toLowerCase()]!;
      const scope = tokenScopeOf[route.proc._def.meta!.access as Permission];
      expect(scope, `${route.procedure} has a token scope`).not.toBeNull();
      expect(op["x-token-scope"]).toBe(`${scope!.family}:${scope!.write ? "write" : "read"}`);
      expect(Object.keys(op.responses).some((s) => s.startsWith("2"))).toBe(true);
    }
    // The whole document is JSON with no reference it cannot resolve.
    const text = JSON.stringify(doc);
    for (const ref of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = ref[1]!.split("/").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);
      expect(target, ref[1]).toBeDefined();
    }
  });
});
