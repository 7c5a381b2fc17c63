import { handleRest, type RestOptions } from "../../../server/rest/handler";
import type { CompiledRoute } from "../../../server/rest/procedures";

// Calls the REST API through its real handler (the one app/api/v1/[...path]/route.ts serves), in
// process, as an HTTP client would: a Request in, a Response out.

export type RestAnswer = { status: number; headers: Headers; text: string; body: Record<string, unknown> & { errors?: { path: (string | number)[]; detail: string }[] } };

export async function rest(
  token: string | null,
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string; headers?: Record<string, string>; ip?: string } = {},
  handlerOpts: RestOptions = {},
): Promise<RestAnswer> {
  const headers = new Headers(opts.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  headers.set("x-forwarded-for", opts.ip ?? "127.0.0.1");
  const text = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (text !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  const res = await handleRest(new Request(`http://panel.test/api/v1${path}`, { method, headers, body: text }), handlerOpts);
  // An event stream is read to its first event only (the stream test reads on).
  let out: string;
  if (res.headers.get("content-type") === "text/event-stream" && res.body) {
    const reader = res.body.getReader();
    const first = await reader.read();
    await reader.cancel();
    out = new TextDecoder().decode(first.value);
  } else out = await res.text();
  let body: RestAnswer["body"] = {};
  try {
    body = JSON.parse(out) as RestAnswer["body"];
  } catch {
    // Not JSON (a 304): the checks read the status.
  }
  return { status: res.status, headers: res.headers, text: out, body };
}

/** A procedure input as the route's request: path parameters filled in, the rest as query or body. */
export function requestFor(route: CompiledRoute, input: unknown): { path: string; body?: unknown } {
  const fields = input !== null && typeof input === "object" && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : {};
  let path = route.path;
  for (const p of route.params) {
    path = path.replace(`{${p}}`, encodeURIComponent(typeof fields[p] === "string" ? fields[p] : JSON.stringify(fields[p] ?? "x")));
    delete fields[p];
  }
  if (route.method === "GET" || route.method === "DELETE") {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      const name = k === "cursor" ? "next" : k;
      if (Array.isArray(v)) for (const item of v) q.append(name, typeof item === "string" ? item : JSON.stringify(item));
      else q.set(name, typeof v === "string" ? v : v instanceof Date ? v.toISOString() : JSON.stringify(v));
    }
    const qs = q.toString();
    return { path: qs ? `${path}?${qs}` : path };
  }
  return { path, body: input === undefined ? undefined : Array.isArray(input) || typeof input !== "object" || input === null ? input : fields };
}
