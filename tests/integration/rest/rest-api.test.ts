import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { permissions, type Permission } from "../../../server/auth/permissions";
import { grantableScopes } from "../../../server/auth/token-scopes";
import { compiledRoutes } from "../../../server/rest/procedures";
import { handleRest } from "../../../server/rest/handler";
import type { Role } from "../../../server/generated/prisma/enums";
import { makeWorld } from "../../helpers/fixtures";
import { dropNodeReads, startNodeReads, type NodeReads } from "../../helpers/node-reads";
import { makeToken } from "../api-token/authz-cases";
import { cases } from "../authz/cases";
import type { Tenant, World } from "../authz/matrix";
import { requestFor, rest } from "./rest-call";

// The REST API through its real handler, attacked as a hostile customer or reseller would: tokens
// of the wrong tenant on every route, scopes, expired/revoked/foreign-network tokens, and the
// conventions a client relies on (problem details, Idempotency-Key, ETag/If-Match, 202 + Operation,
// rate limits, pagination).

let reads: NodeReads;
let w: World;
const tokens: Record<string, string> = {};
const full = async (user: { id: string; resellerId: string; role: Role }) => (await makeToken(user, grantableScopes(user.role))).token;

beforeAll(async () => {
  reads = await startNodeReads();
  w = await makeWorld();
  // Resellers and admins may use the panel (and so tokens) only with two-factor sign-in set up.
  await db.user.updateMany({ where: { id: { in: Object.values(w.users).map((u) => u.id) } }, data: { twoFactorEnabled: true } });
  for (const actor of ["admin", "resellerA", "resellerB", "subA", "customerA", "customerB"] as const) tokens[actor] = await full(w.users[actor]);
});
afterAll(async () => {
  await reads?.stop();
  await dropNodeReads();
});

const owns: Record<string, Tenant[]> = { admin: ["A", "B", "S"], resellerA: ["A", "S"], resellerB: ["B"], subA: ["S"], customerA: ["A"], customerB: ["B"] };
const roleOf: Record<string, Role> = { admin: "ADMIN", resellerA: "RESELLER", resellerB: "RESELLER", subA: "RESELLER", customerA: "CUSTOMER", customerB: "CUSTOMER" };

describe("tenancy on every route", () => {
  it("a token never reaches another tenant's object, and reaches its own", { timeout: 300_000 }, async () => {
    const problems: string[] = [];
    let calls = 0;
    for (const route of compiledRoutes) {
      const c = cases[route.procedure];
      if (!c?.input) continue;
      const access = route.proc._def.meta!.access as Permission;
      // Foreign: B's reseller and customer, and A's own sub-reseller, at A's object. Own: A's
      // reseller and customer at A's object, and A's reseller at its sub-reseller's.
      const pairs: [string, Tenant][] = [["resellerB", "A"], ["customerB", "A"], ["subA", "A"], ["resellerA", "A"], ["customerA", "A"], ["resellerA", "S"]];
      for (const [actor, tenant] of pairs) {
        {
          const { path, body } = requestFor(route, await c.input(w, tenant));
          const answer = await rest(tokens[actor]!, route.method, path, { body });
          calls++;
          const allowed = (permissions[access] as readonly string[]).includes(roleOf[actor]!);
          const own = owns[actor]!.includes(tenant);
          const shown = `${actor}→${tenant} ${route.method} ${path}: ${answer.status} ${answer.text.slice(0, 200)}`;
          if (answer.status >= 500) problems.push(`5xx ${shown}`);
          else if (!allowed && answer.status !== 403) problems.push(`role not refused: ${shown}`);
          else if (allowed && !own && answer.status !== 404) problems.push(`foreign object not 404: ${shown}`);
          else if (allowed && own && c.ownOutcome === undefined && answer.status >= 400) problems.push(`own object refused: ${shown}`);
          if (answer.status >= 400) expect(answer.headers.get("content-type")).toBe("application/problem+json");
        }
      }
    }
    console.log(`tenancy walk: ${calls} REST calls over ${compiledRoutes.filter((r) => cases[r.procedure]?.input).length} tenant-owned routes`);
    expect(problems).toEqual([]);
  });

  it("lists show only the caller's tree", async () => {
    const foreign = [w.customers.a.customer.id, w.customers.a.account.id, w.resellerA.id];
    const bAccount = encodeURIComponent(w.customers.b.account.id);
    for (const path of ["/customers", "/resellers", "/plans", `/operations?accountId=${bAccount}`, `/sites?accountId=${bAccount}`, "/audit-events"]) {
      const answer = await rest(tokens.resellerB!, "GET", path);
      expect(answer.status, path).toBe(200);
      for (const id of foreign) expect(answer.text.includes(id), `${path} shows ${id}`).toBe(false);
    }
  });
});

describe("tokens", () => {
  it("answers 401 with problem details without a token, and never reads a cookie", async () => {
    const none = await rest(null, "GET", "/customers", { headers: { cookie: "better-auth.session_token=anything" } });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(none.body).toMatchObject({ status: 401, title: "Unauthorized", code: "UNAUTHENTICATED" });
    expect((await rest("pat_notatoken", "GET", "/customers")).status).toBe(401);
    const forged = tokens.resellerA!.slice(0, -4) + "AAAA";
    expect((await rest(forged, "GET", "/customers")).status).toBe(401);
  });

  it("limits a token to its scopes, within its owner's rights", async () => {
    const readSites = (await makeToken(w.users.customerA, ["sites:read"])).token;
    expect((await rest(readSites, "GET", "/sites")).status).toBe(200);
    expect((await rest(readSites, "GET", "/domains")).status).toBe(403);
    const create = await rest(readSites, "POST", "/domains", { body: { name: "scoped.test" } });
    expect(create.status).toBe(403);
    expect(await db.domain.count({ where: { name: "scoped.test" } })).toBe(0);
    // A scope beyond the owner's role does nothing: the owner's permission map still applies.
    const customerNodes = (await makeToken(w.users.customerA, ["nodes:write"])).token;
    expect((await rest(customerNodes, "GET", "/nodes")).status).toBe(403);
    // And the panel refuses to create such a token at all.
    expect(grantableScopes("CUSTOMER")).not.toContain("nodes:read");
  });

  it("refuses expired and revoked tokens, other networks, and owners who lost their rights", async () => {
    const expired = await makeToken(w.users.customerA, ["sites:read"], { expiresAt: new Date(Date.now() - 1000) });
    expect((await rest(expired.token, "GET", "/sites")).body).toMatchObject({ status: 401, detail: "This API token has expired." });
    const revoked = await makeToken(w.users.customerA, ["sites:read"]);
    expect((await rest(revoked.token, "GET", "/sites")).status).toBe(200);
    await db.apiToken.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    expect((await rest(revoked.token, "GET", "/sites")).status).toBe(401);

    const office = await makeToken(w.users.customerA, ["sites:read"], { allowedCidrs: ["203.0.113.0/24", "2001:db8::/32"] });
    expect((await rest(office.token, "GET", "/sites", { ip: "203.0.113.9" })).status).toBe(200);
    expect((await rest(office.token, "GET", "/sites", { ip: "2001:db8::5" })).status).toBe(200);
    expect((await rest(office.token, "GET", "/sites", { ip: "198.51.100.1" })).status).toBe(403);
    expect((await rest(office.token, "GET", "/sites", { ip: "127.0.0.1" })).status).toBe(403);
    const used = await db.apiToken.findUniqueOrThrow({ where: { id: office.id } });
    expect(used.lastUsedIp).toBe("203.0.113.9");
    expect(used.lastUsedAt).not.toBeNull();

    // A suspended reseller's tokens stop working, and so do its customers'.
    const world = await makeWorld();
    await db.user.updateMany({ where: { id: { in: Object.values(world.users).map((u) => u.id) } }, data: { twoFactorEnabled: true } });
    const reseller = await makeToken(world.users.resellerA, ["customers:read"]);
    const customer = await makeToken(world.users.customerA, ["sites:read"]);
    expect((await rest(reseller.token, "GET", "/customers")).status).toBe(200);
    await db.reseller.update({ where: { id: world.resellerA.id }, data: { status: "SUSPENDED" } });
    expect((await rest(reseller.token, "GET", "/customers")).status).toBe(403);
    expect((await rest(customer.token, "GET", "/sites")).status).toBe(403);
    // A disabled login's tokens are dead.
    await db.user.update({ where: { id: world.users.customerB.id }, data: { disabledAt: new Date() } });
    const gone = await makeToken(world.users.customerB, ["sites:read"]);
    expect((await rest(gone.token, "GET", "/sites")).status).toBe(401);
  });

  it("rate-limits per token with 429 and Retry-After", async () => {
    const limited = (await makeToken(w.users.customerA, ["sites:read"])).token;
    const other = (await makeToken(w.users.customerA, ["sites:read"])).token;
    const rule = { rateLimit: { max: 3, windowSeconds: 60 } };
    for (let i = 0; i < 3; i++) expect((await rest(limited, "GET", "/sites", {}, rule)).status).toBe(200);
    const refused = await rest(limited, "GET", "/sites", {}, rule);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    expect((await rest(other, "GET", "/sites", {}, rule)).status).toBe(200);
  });

  it("records the token as the actor of a change", async () => {
    const t = await makeToken(w.users.resellerA, ["customers:write"]);
    const answer = await rest(t.token, "POST", `/customers/${w.customers.a.customer.id}/suspend`);
    expect(answer.status).toBe(200);
    const event = await db.auditEvent.findFirstOrThrow({ where: { action: "customer.suspend", targetId: w.customers.a.customer.id }, orderBy: { createdAt: "desc" } });
    expect(event).toMatchObject({ apiTokenId: t.id, actorId: w.users.resellerA.id });
    expect((await rest(t.token, "POST", `/customers/${w.customers.a.customer.id}/unsuspend`)).status).toBe(200);
  });
});

describe("conventions", () => {
  const newCustomer = (n: string) => ({
    planId: w.customers.a.plan.id,
    name: `Rest ${n}`,
    email: `rest-${n}@example.test`,
    login: { email: `rest-login-${n}@example.test`, password: "rest passphrase 1" },
  });

  it("answers errors as problem details with each invalid field's path", async () => {
    const answer = await rest(tokens.resellerA!, "POST", "/customers", { body: { ...newCustomer("bad"), email: "not an address", login: { email: "x" } } });
    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toBe("application/problem+json");
    expect(answer.body).toMatchObject({ type: "about:blank", title: "Bad Request", status: 400 });
    const paths = answer.body.errors!.map((e) => e.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["email", "login.email"]));
    expect(answer.body.errors!.find((e) => e.path.join(".") === "login.email")).toMatchObject({ pointer: "#/login/email" });
    expect((await rest(tokens.resellerA!, "POST", "/customers", { rawBody: "{nope" })).status).toBe(400);
    expect((await rest(tokens.resellerA!, "GET", "/nowhere")).status).toBe(404);
    const wrongMethod = await rest(tokens.resellerA!, "PATCH", "/customers");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toContain("GET");
    expect((await rest(tokens.resellerA!, "GET", "/customers?next=forged.cursor")).body.errors?.[0]?.path).toEqual(["next"]);
  });

  it("replays a POST with the same Idempotency-Key and runs it once; another body with the key is 422", async () => {
    const body = newCustomer(`idem-${Date.now()}`);
    const key = { "idempotency-key": `key-${Date.now()}` };
    const first = await rest(tokens.resellerA!, "POST", "/customers", { body, headers: key });
    expect(first.status).toBe(201);
    expect(first.headers.get("location")).toBe(`/api/v1/customers/${first.body.id as string}`);
    const again = await rest(tokens.resellerA!, "POST", "/customers", { body, headers: key });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await db.customer.count({ where: { email: body.email } })).toBe(1);
    const other = await rest(tokens.resellerA!, "POST", "/customers", { body: { ...body, name: "Someone else" }, headers: key });
    expect(other.status).toBe(422);
    // Keys belong to a token: another token's same key is a new request.
    const sameKeyOtherToken = await rest(tokens.subA!, "POST", "/customers", { body: { ...body, email: `x${body.email}`, login: { email: `x${body.login.email}` }, planId: w.customers.s.plan.id }, headers: key });
    expect(sameKeyOtherToken.status).toBe(201);
    // A refusal is an answer too: replayed, not re-run.
    const badKey = { "idempotency-key": `bad-${Date.now()}` };
    const refused = await rest(tokens.resellerA!, "POST", "/customers", { body: { name: "" }, headers: badKey });
    expect(refused.status).toBe(400);
    expect((await rest(tokens.resellerA!, "POST", "/customers", { body: { name: "" }, headers: badKey })).text).toBe(refused.text);
    // A key older than 24 hours is forgotten.
    await db.idempotencyKey.updateMany({ where: { key: key["idempotency-key"] }, data: { createdAt: new Date(Date.now() - 25 * 3_600_000) } });
    const late = await rest(tokens.resellerA!, "POST", "/customers", { body, headers: key });
    expect(late.status).toBe(409);
  });

  it("versions resources with ETags and refuses a stale If-Match with 412", async () => {
    const id = w.customers.a.customer.id;
    const read = await rest(tokens.resellerA!, "GET", `/customers/${id}`);
    const etag = read.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await rest(tokens.resellerA!, "GET", `/customers/${id}`, { headers: { "if-none-match": etag } })).status).toBe(304);
    const first = await rest(tokens.resellerA!, "PATCH", `/customers/${id}`, { body: { company: "First Ltd" }, headers: { "if-match": etag } });
    expect(first.status).toBe(200);
    const newTag = first.headers.get("etag");
    expect(newTag).not.toBe(etag);
    const second = await rest(tokens.resellerA!, "PATCH", `/customers/${id}`, { body: { company: "Second Ltd" }, headers: { "if-match": etag } });
    expect(second.status).toBe(412);
    expect((await db.customer.findUniqueOrThrow({ where: { id } })).company).toBe("First Ltd");
    expect((await rest(tokens.resellerA!, "GET", `/customers/${id}`)).headers.get("etag")).toBe(newTag);
    expect((await rest(tokens.resellerA!, "PATCH", `/customers/${id}`, { body: { company: "Third Ltd" }, headers: { "if-match": newTag! } })).status).toBe(200);
  });

  it("answers long work with 202 and the Operation, which can be polled", async () => {
    const t = (await makeToken(w.users.customerA, ["domains:write"])).token;
    const answer = await rest(t, "POST", "/domains", { body: { name: `rest-${Date.now()}.test` } });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ targetType: "Domain", status: expect.any(String), steps: expect.any(Array) });
    const location = answer.headers.get("location")!;
    expect(location).toBe(`/api/v1/operations/${answer.body.id as string}`);
    const polled = await rest(tokens.customerA!, "GET", location.replace("/api/v1", ""));
    expect(polled.status).toBe(200);
    expect(polled.body.id).toBe(answer.body.id);
    expect((await rest(tokens.customerB!, "GET", location.replace("/api/v1", ""))).status).toBe(404);
  });

  it("follows an operation as server-sent events until it has finished", async () => {
    const t = (await makeToken(w.users.customerA, ["domains:write", "operations:read"])).token;
    const started = await rest(t, "POST", "/domains", { body: { name: `sse-${Date.now()}.test` } });
    const id = started.body.id as string;
    const res = await handleRest(new Request(`http://panel.test/api/v1/operations/${id}/events`, { headers: { authorization: `Bearer ${t}`, "x-forwarded-for": "127.0.0.1" } }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    expect(text).toMatch(/^event: operation\ndata: \{.*"id":"/);
    await db.operation.update({ where: { id }, data: { status: "SUCCEEDED", finishedAt: new Date() } });
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    expect(text).toContain('"status":"SUCCEEDED"');
    // Another tenant's operation is not found, as an ordinary problem answer.
    expect((await rest(tokens.customerB!, "GET", `/operations/${id}/events`)).status).toBe(404);
  });

  it("pages lists with limit and next", async () => {
    for (let i = 0; i < 3; i++) await rest(tokens.resellerA!, "POST", "/customers", { body: newCustomer(`page-${i}-${Date.now()}`) });
    const seen = new Set<string>();
    let path = "/customers?limit=2";
    for (let pages = 0; pages < 50; pages++) {
      const page = await rest(tokens.resellerA!, "GET", path);
      expect(page.status).toBe(200);
      const items = page.body.items as { id: string }[];
      expect(items.length).toBeLessThanOrEqual(2);
      for (const item of items) seen.add(item.id);
      const next = page.body.next as string | null;
      if (!next) break;
      expect(page.headers.get("link")).toContain('rel="next"');
      path = `/customers?limit=2&next=${encodeURIComponent(next)}`;
    }
    expect(seen.size).toBe(await db.customer.count({ where: { resellerId: { in: [w.resellerA.id, w.subA.id] } } }));
  });

  it("serves the OpenAPI document without a token", async () => {
    const doc = await rest(null, "GET", "/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe("3.1.0");
  });
});
