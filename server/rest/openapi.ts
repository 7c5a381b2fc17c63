import { z } from "zod";
import { tokenScopeOf } from "../auth/token-scopes";
import type { Permission } from "../auth/permissions";
import { compiledRoutes, isPage, routerProcedures, startsOperation, type CompiledRoute } from "./procedures";
import { problemSchema } from "./problem";

// The OpenAPI 3.1 document of /api/v1, generated from the procedures' own zod schemas (zod's JSON
// Schema output is draft 2020-12, the dialect OpenAPI 3.1 uses). The REST conventions the handler
// applies on top of a procedure (path parameters, `next` for the page cursor, 202 with the
// Operation, problem details, Idempotency-Key, ETag/If-Match, rate limits) are added here by the
// same rules the handler follows, so the document and the behaviour cannot drift apart.

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[] };

export function jsonSchema(schema: z.ZodType | undefined, io: "input" | "output"): JsonSchema {
  if (!schema) return {};
  const out = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    override: (ctx) => {
      // Dates travel as RFC 3339 text (JSON.stringify of a Date, or what z.coerce.date reads).
      if ((ctx.zodSchema as unknown as { _zod: { def: { type: string } } })._zod.def.type === "date") {
        ctx.jsonSchema.type = "string";
        ctx.jsonSchema.format = "date-time";
      }
    },
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** The page output as REST sends it: `next` instead of tRPC's `nextCursor`. */
function restPageSchema(schema: JsonSchema): JsonSchema {
  const { nextCursor, ...rest } = schema.properties ?? {};
  return {
    ...schema,
    properties: { ...rest, next: { ...(nextCursor ?? {}), description: "Pass as `next` to get the following page; null on the last page." } },
    required: (schema.required ?? []).map((r) => (r === "nextCursor" ? "next" : r)),
  };
}

const camel = (path: string) => path.replace(/\.(\w)/g, (_, c: string) => c.toUpperCase());
const problemRef = { $ref: "#/components/responses/Problem" };

/** A POST to a collection that makes a row without an operation: 201 with Location. */
export function createsResource(route: CompiledRoute): boolean {
  return route.method === "POST" && route.params.length === 0 && !startsOperation(route.proc);
}

function operationFor(route: CompiledRoute) {
  const proc = route.proc;
  const access = proc._def.meta?.access as Permission;
  const scope = tokenScopeOf[access];
  const input = jsonSchema(proc._def.inputs[0], "input");
  const props = input.properties ?? {};
  const required = new Set(input.required ?? []);
  const parameters: Record<string, unknown>[] = route.params.map((name) => ({ name, in: "path", required: true, schema: props[name] ?? { type: "string" } }));
  let requestBody: Record<string, unknown> | undefined;
  const rest = Object.keys(props).filter((k) => !route.params.includes(k));
  if (route.method === "GET" || route.method === "DELETE") {
    for (const k of rest) {
      const name = k === "cursor" ? "next" : k;
      const schema = props[k]!;
      const isObject = schema.type === "object" || (schema.anyOf as JsonSchema[] | undefined)?.some((a) => a.type === "object");
      parameters.push(isObject ? { name, in: "query", required: required.has(k), content: { "application/json": { schema } } } : { name, in: "query", required: required.has(k), schema });
    }
  } else if (rest.length) {
    const body: JsonSchema = { ...input, properties: Object.fromEntries(rest.map((k) => [k, props[k]!])), required: [...required].filter((k) => rest.includes(k)) };
    requestBody = { required: body.required!.length > 0, content: { "application/json": { schema: body } } };
  }
  if (route.method === "POST") {
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description: "Up to 255 printable characters. A repeat within 24 hours returns the first answer and runs nothing; the same key with a different request is 422.",
      schema: { type: "string", maxLength: 255 },
    });
  }
  if (route.current) {
    parameters.push({ name: "If-Match", in: "header", required: false, description: "The ETag read last: the change is made only if the resource is still that version (else 412).", schema: { type: "string" } });
  }
  const etagHeader = { ETag: { description: "The version of this representation, for If-Match.", schema: { type: "string" } } };
  const responses: Record<string, unknown> = {};
  if (route.stream) {
    responses["200"] = {
      description: "text/event-stream: an `operation` event with the Operation each time it changes; the stream ends when it has finished.",
      content: { "text/event-stream": { schema: { type: "string" }, itemSchema: { $ref: "#/components/schemas/Operation" } } },
    };
  } else if (startsOperation(proc)) {
    responses["202"] = {
      description: "Accepted: the work runs as this Operation (poll GET /operations/{id}).",
      headers: { Location: { schema: { type: "string" } } },
      content: { "application/json": { schema: { $ref: "#/components/schemas/Operation" } } },
    };
  } else {
    let output = jsonSchema(proc._def.output, "output");
    if (isPage(proc)) output = restPageSchema(output);
    responses[createsResource(route) ? "201" : "200"] = {
      description: "OK",
      headers: route.method === "GET" || route.current ? etagHeader : undefined,
      content: { "application/json": { schema: output } },
    };
  }
  for (const status of ["400", "401", "403", "404", "409", "429"]) responses[status] = problemRef;
  if (route.current) responses["412"] = problemRef;
  if (route.method === "POST") responses["422"] = problemRef;
  return {
    operationId: camel(route.procedure) + (route.stream ? "Events" : ""),
    summary: route.summary,
    tags: [route.path.split("/")[1]!],
    "x-shoal-procedure": route.procedure,
    "x-token-scope": scope ? `${scope.family}:${scope.write ? "write" : "read"}` : null,
    parameters,
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of compiledRoutes) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operationFor(route);
  }
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Shoal API",
      version: "1.0.0",
      description:
        "Everything the panel does, for billing systems and scripts. Authenticate with an API token (`Authorization: Bearer pat_...`) created in the panel under API tokens. Lists page with `limit` and `next`; POSTs accept `Idempotency-Key`; long work answers 202 with an Operation; errors are RFC 9457 problem details; each token is rate limited (429 with Retry-After).",
    },
    servers: [{ url: "/api/v1" }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "An API token: pat_<prefix>_<secret>" } },
      schemas: {
        Problem: jsonSchema(problemSchema, "output"),
        Operation: jsonSchema(routerProcedures["operation.get"]!._def.output, "output"),
      },
      responses: {
        Problem: {
          description: "Problem details (RFC 9457); `errors` lists each invalid field by path.",
          headers: { "Retry-After": { description: "On 429: seconds to wait.", schema: { type: "integer" } } },
          content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
        },
      },
    },
  };
  return cached;
}
