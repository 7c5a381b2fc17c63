import type { z } from "zod";
import type { Access } from "../auth/permissions";
import { appRouter } from "../trpc/root";
import { restRoutes, type RestRoute } from "./routes";

export type RestProcedure = { _def: { type: string; inputs: z.ZodType[]; output?: z.ZodType; meta?: { access?: Access } } };

/** Every procedure of the panel's router, by its dotted path ("site.get"). */
export const routerProcedures = (appRouter as unknown as { _def: { procedures: Record<string, RestProcedure> } })._def.procedures;

export type CompiledRoute = RestRoute & { pattern: RegExp; params: string[]; proc: RestProcedure };

export const compiledRoutes: CompiledRoute[] = restRoutes.map((route) => {
  const proc = routerProcedures[route.procedure];
  if (!proc) throw new Error(`REST route ${route.method} ${route.path} names ${route.procedure}, which is not a procedure`);
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const pattern = new RegExp(`^${route.path.replace(/\{\w+\}/g, "([^/]+)")}$`);
  return { ...route, pattern, params, proc };
});

/** The object schema inside a procedure's input (under optional/default/pipe), or null. */
export function inputShape(schema: z.ZodType | undefined): Record<string, z.ZodType> | null {
  let s = schema as unknown as { _zod?: { def: { type: string; innerType?: unknown; in?: unknown; shape?: Record<string, z.ZodType> } } } | undefined;
  for (let depth = 0; s?._zod && depth < 8; depth++) {
    const def = s._zod.def;
    if (def.type === "object") return def.shape ?? null;
    s = (def.innerType ?? def.in) as typeof s;
  }
  return null;
}

/** Whether a procedure's output carries an operation to follow (a create, delete, move...). */
export function startsOperation(proc: RestProcedure): boolean {
  const shape = inputShape(proc._def.output);
  return !!shape && "operationId" in shape;
}

/** Whether a procedure's output is a page (items and the next page's cursor). */
export function isPage(proc: RestProcedure): boolean {
  const shape = inputShape(proc._def.output);
  return !!shape && "nextCursor" in shape && "items" in shape;
}
