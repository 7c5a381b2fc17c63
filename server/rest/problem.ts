import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { z } from "zod";
import { AppError, appErrorCodes } from "../errors";
import { errorFields, panelLogger } from "../observability/logger";

// RFC 9457 problem details: every refusal of the REST API is one of these, with the invalid
// fields listed by path (as JSON Pointers into the request) next to their messages.

export type InvalidField = { path: (string | number)[]; pointer: string; detail: string };
export type Problem = { type: string; title: string; status: number; detail: string; code: string; errors?: InvalidField[] };

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  428: "Precondition Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
};

/** The zod schema of a problem body, for the OpenAPI document. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  errors: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), pointer: z.string(), detail: z.string() })).optional(),
});

export function problemResponse(status: number, code: string, detail: string, opts: { errors?: InvalidField[]; headers?: HeadersInit } = {}): Response {
  const body: Problem = { type: "about:blank", title: titles[status] ?? "Error", status, detail, code, ...(opts.errors?.length ? { errors: opts.errors } : {}) };
  const headers = new Headers(opts.headers);
  headers.set("content-type", "application/problem+json");
  return new Response(JSON.stringify(body), { status, headers });
}

const pointer = (path: (string | number)[]) => `#/${path.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;

function field(path: (string | number)[], detail: string): InvalidField {
  return { path, pointer: pointer(path), detail };
}

/** REST names a tRPC input field differently in one place: the page cursor is `next`. */
function restPath(path: (string | number)[]): (string | number)[] {
  return path.length === 1 && path[0] === "cursor" ? ["next"] : path;
}

/** Any error thrown while answering, as problem details; an unexpected one is logged and shown only as an incident id. */
export function problemFromError(error: unknown, where: string): Response {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (cause instanceof z.ZodError) {
    const errors = cause.issues.map((i) => field(restPath(i.path.map((p) => (typeof p === "symbol" ? String(p) : p))), i.message));
    return problemResponse(400, "BAD_INPUT", "Please correct the listed fields.", { errors });
  }
  if (cause instanceof AppError) {
    const errors = Object.entries(cause.fieldErrors ?? {}).map(([key, message]) => field(restPath(key === "_" ? [] : key.split(".")), message));
    return problemResponse(appErrorCodes[cause.code].http, cause.code, cause.message, { errors });
  }
  if (error instanceof TRPCError && error.code !== "INTERNAL_SERVER_ERROR") {
    return problemResponse(getHTTPStatusCodeFromError(error), error.code, error.message);
  }
  // Driver and database text names tables, columns and other tenants' ids: logged, never sent.
  const incident = randomBytes(6).toString("hex");
  panelLogger().error({ ...errorFields(error), path: where, incident }, "REST call failed");
  return problemResponse(500, "INTERNAL", `Something went wrong on our side (incident ${incident}). Try again; if it keeps happening, contact support and quote the incident.`);
}
