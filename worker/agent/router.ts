import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { AgentErrorBody } from "../../server/contract/agent-error";
import { AgentError } from "./agent-error";
import { StorageError } from "./storage/site-storage";
import { contentHashHeader, sha256Hex } from "../../server/contract/agent-signature";

// Dispatches the agent's requests to the route modules (routes/, storage/routes.ts) and turns
// whatever they throw into the one error body of the node API.

export const maxSpecBytes = 1024 * 1024;

/** [status, JSON body]; nothing when the handler wrote the response itself (a stream). */
export type Answer = readonly [status: number, body: unknown] | void;
export type RouteCall = { req: IncomingMessage; res: ServerResponse; url: URL; params: readonly string[] };
export type RouteHandler = (call: RouteCall) => Promise<Answer>;
export type AgentRoute = {
  /** The whole path, or a pattern whose groups become the call's params. */
  path: string | RegExp;
  /** Checks the params before the method, so a malformed id answers 422 whatever the method. */
  check?: (params: readonly string[]) => void;
  methods: Partial<Record<string, RouteHandler>>;
};

/** A JSON answer, checked at compile time against the contract's schema of it. */
export function answer<S extends z.ZodType>(_schema: S, body: z.input<S>, status = 200): Answer {
  return [status, body];
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** Reads the body up to `limit` bytes, refusing early on a declared or streamed overrun. */
export async function readJsonBody(req: IncomingMessage, limit = maxSpecBytes): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new AgentError(415, "UNSUPPORTED_MEDIA_TYPE", "The body must be application/json.");
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) throw new AgentError(413, "PAYLOAD_TOO_LARGE", `The body must be at most ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new AgentError(413, "PAYLOAD_TOO_LARGE", `The body must be at most ${limit} bytes.`);
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  // The request's signature covers this hash (auth.ts): a body swapped on the way is refused.
  if (sha256Hex(body) !== req.headers[contentHashHeader]) throw new AgentError(401, "UNAUTHENTICATED", "The body is not the one the request was signed with.");
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (e) {
    throw new AgentError(400, "BAD_REQUEST", `The body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const storageStatus: Record<StorageError["code"], number> = { NOT_FOUND: 404, ALREADY_EXISTS: 409, CONFLICT: 409, INVALID: 422 };

function asAgentError(e: unknown): AgentError {
  if (e instanceof AgentError) return e;
  if (e instanceof StorageError) return new AgentError(storageStatus[e.code], e.code, e.message);
  if (e instanceof URIError) return new AgentError(400, "BAD_REQUEST", "The path is not valid percent-encoding.");
  return new AgentError(500, "INTERNAL", e instanceof Error ? e.message : String(e));
}

/** The one place an error becomes an answer; a response already under way is cut instead. */
export function sendError(req: IncomingMessage, res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The unread rest of the body is not wanted: close the connection rather than drain it.
  if (!req.complete) res.setHeader("connection", "close");
  const error = asAgentError(e);
  const body: AgentErrorBody = { error: { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) } };
  sendJson(res, error.status, body);
}

function find(routes: readonly AgentRoute[], pathname: string): { route: AgentRoute; params: string[] } | null {
  for (const route of routes) {
    if (typeof route.path === "string") {
      if (route.path === pathname) return { route, params: [] };
      continue;
    }
    const m = route.path.exec(pathname);
    if (m) return { route, params: m.slice(1) };
  }
  return null;
}

/** Answers every request: its route's, or the error body (404, 405, or what the route threw). */
export function agentRouter(routes: readonly AgentRoute[]) {
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "http://agent");
      const found = find(routes, url.pathname);
      if (!found) throw new AgentError(404, "NOT_FOUND", `No route ${url.pathname}.`);
      found.route.check?.(found.params);
      const method = req.method ?? "GET";
      const handler = Object.hasOwn(found.route.methods, method) ? found.route.methods[method] : undefined;
      if (!handler) {
        res.setHeader("allow", Object.keys(found.route.methods).join(", "));
        throw new AgentError(405, "METHOD_NOT_ALLOWED", `${url.pathname} does not accept ${method}.`);
      }
      const result = await handler({ req, res, url, params: found.params });
      if (result) sendJson(res, result[0], result[1]);
    } catch (e) {
      sendError(req, res, e);
    }
  };
}
