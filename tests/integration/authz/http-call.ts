import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { AnyRouter } from "@trpc/server";
import superjson from "superjson";
import { appRouter } from "../../../server/trpc/root";
import type { Context } from "../../../server/trpc/init";

// Calls a procedure through the real tRPC HTTP handler (transformer, middlewares, error
// formatter), as the client in the browser sends it, with the context of the caller given.

export type Proc = { _def: { type: string; inputs: unknown[] } };

/** Every query and mutation of the panel's router, by path. */
export const procedures = Object.entries((appRouter as unknown as { _def: { procedures: Record<string, Proc> } })._def.procedures).filter(
  ([, p]) => p._def.type !== "subscription",
);

export type HttpAnswer = {
  status: number;
  text: string;
  body: { error?: { json?: { message?: string; data?: { fieldErrors?: Record<string, string> | null } } }; result?: { data: never } };
};

export async function sendHttp(router: AnyRouter, ctx: Context, path: string, type: string, input: unknown): Promise<HttpAnswer> {
  const serialized = JSON.stringify(superjson.serialize(input));
  const url = `http://panel.test/api/trpc/${path}${type === "query" ? `?input=${encodeURIComponent(serialized)}` : ""}`;
  const req = new Request(url, type === "query" ? {} : { method: "POST", body: serialized, headers: { "content-type": "application/json" } });
  const res = await fetchRequestHandler({ endpoint: "/api/trpc", req, router, createContext: () => ctx });
  const text = await res.text();
  let body: HttpAnswer["body"] = {};
  try {
    body = JSON.parse(text) as HttpAnswer["body"];
  } catch {
    // Not JSON: the caller's checks see the text.
  }
  return { status: res.status, text, body };
}

/** Text that must never reach a client: driver and database messages, query text, stack frames. */
export const leaks = /prisma|invalid byte sequence|SELECT |INSERT |UPDATE |"public"\.|\bat .*\.(?:ts|js):\d+/i;

/** Paths of every string in `value`. */
export function stringLeaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === "string") return [path];
  if (value === null || typeof value !== "object" || value instanceof Date) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => stringLeaves(v, [...path, Array.isArray(value) ? Number(k) : k]));
}

/** `value` with the leaf at `path` replaced. */
export function withLeaf(value: unknown, path: (string | number)[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[path[0]!] = withLeaf(copy[path[0]!], path.slice(1), leaf);
  return copy;
}
