import { createHash } from "node:crypto";
import { hit, type LimitRule } from "../auth/rate-limit";
import { AppError } from "../errors";
import { clientIp } from "../http/client-ip";
import { authenticateToken, type TokenIdentity } from "../services/api-token/authenticate-token";
import type { Context } from "../trpc/init";
import { createCaller } from "../trpc/root";
import { claimKey, idempotencyKeyPattern, releaseKey, requestHash, storeAnswer, sweepIdempotencyKeys } from "./idempotency";
import { createsResource, jsonSchema, openApiDocument } from "./openapi";
import { problemFromError, problemResponse } from "./problem";
import { compiledRoutes, inputShape, isPage, startsOperation, type CompiledRoute } from "./procedures";

// The REST API's one handler (app/api/v1/[...path]/route.ts is its thin adapter). A call is:
// token → rate limit → route → Idempotency-Key claim → If-Match → the procedure, through the same
// tRPC caller, middleware, permission map and services as the panel → the answer in REST's shape.
// Cookies are never read here: the panel's session and its same-origin rule do not apply to a
// token, and without a token nothing is answered, so a page on another site gains nothing by
// sending the visitor's cookie.

export const API_BASE = "/api/v1";
export const defaultRateLimit: LimitRule = { max: 600, windowSeconds: 60 };
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export type RestOptions = { rateLimit?: LimitRule; now?: () => Date };

type Answer = { status: number; body: string; headers: Record<string, string>; stream?: ReadableStream<Uint8Array> };

const STREAM_POLL_MS = 1_000;
const STREAM_MAX_MS = 15 * 60_000;
const finished = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

/**
 * Server-sent events for a query (an Operation): its answer now, then each time it changes, read
 * from Postgres once a second as the panel's own progress view does; ends when the work has
 * finished, the client goes away, or after a bound. The first read happens before the stream
 * starts, so a refusal (404, 403) is an ordinary problem answer.
 */
async function streamAnswer(caller: ReturnType<typeof createCaller>, route: CompiledRoute, input: unknown): Promise<Answer> {
  const first = JSON.stringify(await call(caller, route.procedure, input));
  const encoder = new TextEncoder();
  let stopped = false;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let last = first;
      const started = Date.now();
      controller.enqueue(encoder.encode(`event: operation\ndata: ${first}\n\n`));
      try {
        while (!stopped && !finished.has((JSON.parse(last) as { status?: string }).status ?? "") && Date.now() - started < STREAM_MAX_MS) {
          await new Promise((r) => setTimeout(r, STREAM_POLL_MS));
          if (stopped) break;
          const now = JSON.stringify(await call(caller, route.procedure, input));
          if (now !== last) controller.enqueue(encoder.encode(`event: operation\ndata: ${now}\n\n`));
          else controller.enqueue(encoder.encode(`: still running\n\n`));
          last = now;
        }
      } catch {
        controller.enqueue(encoder.encode(`event: error\ndata: {"detail":"The operation could not be read."}\n\n`));
      }
      if (!stopped) controller.close();
    },
    cancel() {
      stopped = true;
    },
  });
  return { status: 200, body: "", headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" }, stream };
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  body: JSON.stringify(value),
  headers: { "content-type": "application/json", ...headers },
});

export function etagOf(body: string): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
}

function toResponse(answer: Answer, extra: Headers): Response {
  const headers = new Headers(answer.headers);
  extra.forEach((v, k) => headers.set(k, v));
  return new Response(answer.stream ?? (answer.status === 204 || answer.status === 304 ? null : answer.body), { status: answer.status, headers });
}

async function fromResponse(res: Response): Promise<Answer> {
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return { status: res.status, body: await res.text(), headers };
}

function match(method: string, path: string): { route: CompiledRoute; values: Record<string, string> } | { allow: string[] } | null {
  const allow: string[] = [];
  for (const route of compiledRoutes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.method !== method) {
      allow.push(route.method);
      continue;
    }
    const values: Record<string, string> = {};
    route.params.forEach((name, i) => {
      values[name] = decodeURIComponent(m[i + 1]!);
    });
    return { route, values };
  }
  return allow.length ? { allow } : null;
}

/** Query-string text as the input schema's types: numbers, booleans, repeated keys as arrays. */
function queryInput(route: CompiledRoute, query: URLSearchParams): Record<string, unknown> {
  const props = jsonSchema(route.proc._def.inputs[0], "input").properties ?? {};
  const out: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const name = key === "next" ? "cursor" : key;
    const all = query.getAll(key);
    const s = props[name] as { type?: string | string[]; anyOf?: { type?: string }[] } | undefined;
    const types = new Set([s?.type, ...(s?.anyOf ?? []).map((a) => a.type)].flat().filter(Boolean));
    const one = (text: string): unknown => {
      if ((types.has("integer") || types.has("number")) && text.trim() !== "" && Number.isFinite(Number(text))) return Number(text);
      if (types.has("boolean") && (text === "true" || text === "false")) return text === "true";
      if (types.has("null") && text === "null") return null;
      // An object parameter travels as JSON text (the document says so with a content type).
      if (types.has("object")) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text;
        }
      }
      return text;
    };
    out[name] = types.has("array") ? all.map(one) : one(all[all.length - 1]!);
  }
  return out;
}

function call(caller: ReturnType<typeof createCaller>, procedure: string, input: unknown): Promise<unknown> {
  const fn = procedure.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (i: unknown) => Promise<unknown>;
  return fn(input);
}

/** An input the procedure's schema accepts as "nothing" (z.void(), an optional object) gets nothing. */
function orNothing(route: CompiledRoute, input: Record<string, unknown>): unknown {
  if (Object.keys(input).length > 0) return input;
  const schema = route.proc._def.inputs[0];
  return schema && !schema.safeParse(undefined).success ? input : undefined;
}

let calls = 0;

export async function handleRest(req: Request, opts: RestOptions = {}): Promise<Response> {
  const now = opts.now?.() ?? new Date();
  const url = new URL(req.url);
  const path = url.pathname.startsWith(API_BASE) ? url.pathname.slice(API_BASE.length) || "/" : url.pathname;
  const method = req.method.toUpperCase();
  const where = `${method} ${path}`;
  const extra = new Headers({ "cache-control": "no-store" });
  try {
    if (path === "/openapi.json" && (method === "GET" || method === "HEAD")) {
      return new Response(JSON.stringify(openApiDocument()), { headers: { "content-type": "application/json", "access-control-allow-origin": "*" } });
    }

    // Who: a token, and nothing else.
    const authorization = req.headers.get("authorization") ?? "";
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!bearer) {
      return problemResponse(401, "UNAUTHENTICATED", "Send an API token: Authorization: Bearer pat_...", { headers: { "www-authenticate": 'Bearer realm="api"' } });
    }
    const ip = clientIp(req.headers);
    let identity: TokenIdentity;
    try {
      identity = await authenticateToken(bearer, ip, now);
    } catch (e) {
      const res = problemFromError(e, where);
      if (res.status === 401) res.headers.set("www-authenticate", 'Bearer realm="api", error="invalid_token"');
      return res;
    }

    // How often: a fixed window per token, counted before anything runs.
    const rule = opts.rateLimit ?? defaultRateLimit;
    const counted = await hit({ key: `api:token:${identity.id}`, rule }, now);
    const resetSeconds = Math.max(1, Math.ceil((counted.resetAt.getTime() - now.getTime()) / 1000));
    extra.set("ratelimit-limit", String(rule.max));
    extra.set("ratelimit-remaining", String(Math.max(0, rule.max - counted.count)));
    extra.set("ratelimit-reset", String(resetSeconds));
    if (counted.count > rule.max) {
      extra.set("retry-after", String(resetSeconds));
      return toResponse(await fromResponse(problemResponse(429, "RATE_LIMITED", `This token sent more than ${rule.max} requests in ${rule.windowSeconds} s; try again in ${resetSeconds} s.`)), extra);
    }

    const found = match(method, path);
    if (!found) return toResponse(await fromResponse(problemResponse(404, "NOT_FOUND", `No such resource: ${path}`)), extra);
    if ("allow" in found) {
      extra.set("allow", found.allow.join(", "));
      return toResponse(await fromResponse(problemResponse(405, "METHOD_NOT_ALLOWED", `${method} is not allowed here.`)), extra);
    }
    const { route, values } = found;

    let text = "";
    let body: Record<string, unknown> = {};
    if (method !== "GET" && method !== "DELETE") {
      const length = Number(req.headers.get("content-length") ?? "0");
      if (length > MAX_BODY_BYTES) return toResponse(await fromResponse(problemResponse(413, "BAD_INPUT", "The request body is too large.")), extra);
      text = await req.text();
      if (text.length > MAX_BODY_BYTES) return toResponse(await fromResponse(problemResponse(413, "BAD_INPUT", "The request body is too large.")), extra);
      if (text.trim() !== "") {
        const type = req.headers.get("content-type") ?? "";
        if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
          return toResponse(await fromResponse(problemResponse(415, "BAD_INPUT", "Send the body as application/json.")), extra);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return toResponse(await fromResponse(problemResponse(400, "BAD_INPUT", "The body is not valid JSON.")), extra);
        }
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
          return toResponse(await fromResponse(problemResponse(400, "BAD_INPUT", "The body must be a JSON object.", { errors: [{ path: [], pointer: "#/", detail: "Must be an object." }] })), extra);
        }
        body = parsed as Record<string, unknown>;
      }
    }

    // Idempotency: claimed before the procedure runs, answered from the store on a repeat.
    const key = method === "POST" ? req.headers.get("idempotency-key") : null;
    if (key !== null) {
      if (!idempotencyKeyPattern.test(key)) {
        return toResponse(await fromResponse(problemResponse(400, "BAD_INPUT", "Idempotency-Key must be 1 to 255 printable characters.")), extra);
      }
      const claim = await claimKey(identity.id, key, requestHash(method, url.pathname + url.search, text), now);
      if (claim.kind === "mismatch") {
        return toResponse(await fromResponse(problemResponse(422, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request.")), extra);
      }
      if (claim.kind === "running") {
        extra.set("retry-after", "1");
        return toResponse(await fromResponse(problemResponse(409, "IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still running.")), extra);
      }
      if (claim.kind === "replay") {
        extra.set("idempotent-replayed", "true");
        return toResponse(claim.answer, extra);
      }
    }
    if (++calls % 1000 === 0) void sweepIdempotencyKeys(now).catch(() => undefined);

    let answer: Answer;
    try {
      answer = await run(req, route, values, body, url, identity, ip);
    } catch (e) {
      answer = await fromResponse(problemFromError(e, where));
    }
    if (key !== null) {
      if (answer.status >= 500) await releaseKey(identity.id, key);
      else await storeAnswer(identity.id, key, answer);
    }
    return toResponse(answer, extra);
  } catch (e) {
    return toResponse(await fromResponse(problemFromError(e, where)), extra);
  }
}

async function run(
  req: Request,
  route: CompiledRoute,
  values: Record<string, string>,
  body: Record<string, unknown>,
  url: URL,
  identity: TokenIdentity,
  ip: string | null,
): Promise<Answer> {
  // The caller's headers without its cookies: nothing below may find a panel session.
  const callHeaders = new Headers(req.headers);
  callHeaders.delete("cookie");
  const ctx: Context = { headers: callHeaders, ip, auth: identity.auth, resHeaders: new Headers(), token: { id: identity.id, scopes: identity.scopes } };
  const caller = createCaller(ctx);
  const reads = route.method === "GET" || route.method === "DELETE";
  const input = orNothing(route, { ...(reads ? queryInput(route, url.searchParams) : body), ...values });

  // The current representation, read as the same caller would GET it: its ETag is the GET's.
  const currentTag = async (procedure: string) => {
    const shape = inputShape(compiledRoutes.find((r) => r.procedure === procedure)?.proc._def.inputs[0]) ?? {};
    const currentInput = Object.fromEntries(Object.entries((input ?? {}) as Record<string, unknown>).filter(([k]) => k in shape));
    return etagOf(JSON.stringify(await call(caller, procedure, orNothingFor(procedure, currentInput))));
  };
  if (route.current) {
    const ifMatch = req.headers.get("if-match");
    if (ifMatch !== null) {
      const tag = await currentTag(route.current);
      const wanted = ifMatch.split(",").map((t) => t.trim().replace(/^W\//, ""));
      if (!wanted.includes("*") && !wanted.includes(tag)) {
        throw new AppError("PRECONDITION_FAILED", "The resource changed since you read it: read it again, then send your change with its new ETag.");
      }
    }
  }

  if (route.stream) return streamAnswer(caller, route, input);

  const output = await call(caller, route.procedure, input);

  if (startsOperation(route.proc)) {
    const { operationId } = output as { operationId: string };
    // The answer is the Operation even when the token's scopes do not include operations: it is
    // the caller's own work (operation.read is every role's permission).
    const opCaller = createCaller({ ...ctx, token: { id: identity.id, scopes: [...identity.scopes, "operations:read"] } });
    const operation = await call(opCaller, "operation.get", { id: operationId });
    return json(202, operation, { location: `${API_BASE}/operations/${operationId}` });
  }
  let shaped = output;
  if (isPage(route.proc)) {
    const { nextCursor, ...rest } = output as { nextCursor: string | null };
    shaped = { ...rest, next: nextCursor };
  }
  const text = JSON.stringify(shaped ?? null);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (route.method === "GET") {
    headers.etag = etagOf(text);
    const ifNoneMatch = req.headers.get("if-none-match");
    if (ifNoneMatch && ifNoneMatch.split(",").map((t) => t.trim().replace(/^W\//, "")).includes(headers.etag)) return { status: 304, body: "", headers: { etag: headers.etag } };
  }
  // After a change, the ETag a GET would now show (the change's own answer may be shaped differently).
  if (route.current) headers.etag = await currentTag(route.current);
  if (createsResource(route)) {
    const id = (output as { id?: unknown }).id;
    if (typeof id === "string") headers.location = `${API_BASE}${route.path}/${encodeURIComponent(id)}`;
    return { status: 201, body: text, headers };
  }
  if (route.method === "GET" && isPage(route.proc)) {
    const next = (shaped as { next: string | null }).next;
    if (next) {
      const link = new URL(url);
      link.searchParams.set("next", next);
      headers.link = `<${API_BASE}${route.path}?${link.searchParams.toString()}>; rel="next"`;
    }
  }
  return { status: 200, body: text, headers };
}

function orNothingFor(procedure: string, input: Record<string, unknown>): unknown {
  const route = compiledRoutes.find((r) => r.procedure === procedure);
  return route ? orNothing(route, input) : input;
}
