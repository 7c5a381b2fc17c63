import { isIPv4 } from "node:net";
import { z } from "zod";
import { asciiDomainSchema, objectIdSchema } from "./node-spec";

// The front doors' route table as the control plane sends it (PUT /v1/routes, and with a spec in
// PUT /v1/apply): for each site, the domains it answers to and where its requests go. The control
// plane always sends the WHOLE table; an entry carries the site's placement epoch, which rises
// with every move, so a delayed PUT from an older placement can never send a site's traffic back
// to the node it left (fencing). Also what the edge answers to a route change or a move's drain.

export const maxRoutes = 20_000;

const routeTargetSchema = z.strictObject({
  address: z.string().refine(isIPv4, "Must be an IPv4 address."),
  port: z.number().int().min(1, "Must be a port from 1 to 65535.").max(65535, "Must be a port from 1 to 65535."),
});

export const routeSchema = z.strictObject({
  siteId: objectIdSchema,
  domains: z.array(asciiDomainSchema).min(1, "A route needs at least one domain.").max(100, "At most 100 domains per route."),
  // null: the site is served nowhere right now (a paused site still gets held, anything else 404s).
  target: routeTargetSchema.nullable(),
  epoch: z.number().int().min(1, "Must be a whole number from 1.").max(Number.MAX_SAFE_INTEGER),
  paused: z.boolean(),
  /**
   * The front door sends this site's requests to the hold service even while it is not paused,
   * and the hold service forwards them to the target (one hop still: it only ever forwards to a
   * backend port). A planned move sets it for its whole length, so that pausing and releasing
   * change only the hold service's in-memory decision: no nginx reload on any node while requests
   * are held, and every request in flight to the site is one the hold service can count (drain).
   */
  viaHold: z.boolean().optional(),
});
export type Route = z.infer<typeof routeSchema>;
export type RouteTarget = NonNullable<Route["target"]>;

function duplicates<T>(values: readonly T[]): Set<T> {
  const seen = new Set<T>();
  const repeated = new Set<T>();
  for (const value of values) (seen.has(value) ? repeated : seen).add(value);
  return repeated;
}

/** The body of PUT /v1/routes, and the `routes` of PUT /v1/apply. */
export const routeTableSchema = z
  .strictObject({ routes: z.array(routeSchema).max(maxRoutes, `At most ${maxRoutes} routes.`) })
  .superRefine((table, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const repeatedSites = duplicates(table.routes.map((r) => r.siteId));
    // A domain twice in one route is harmless for nginx but a sign of a confused sender; a domain
    // on two routes would make nginx pick one of them silently.
    const repeatedDomains = duplicates(table.routes.flatMap((r) => [...new Set(r.domains)]));
    table.routes.forEach((route, i) => {
      if (repeatedSites.has(route.siteId)) issue(["routes", i, "siteId"], `Site "${route.siteId}" has more than one route.`);
      route.domains.forEach((domain, j) => {
        if (repeatedDomains.has(domain)) issue(["routes", i, "domains", j], `Domain "${domain}" is on more than one route.`);
      });
      duplicates(route.domains).forEach((domain) => issue(["routes", i, "domains"], `Domain "${domain}" is listed twice.`));
    });
  });
export type RouteTableBody = z.input<typeof routeTableSchema>;

export const staleRouteSchema = z.object({ siteId: z.string(), have: z.number(), got: z.number() });
export type StaleRoute = z.infer<typeof staleRouteSchema>;
/** An accepted entry that had to be refused because a domain is still held by a fenced one. */
export const conflictingRouteSchema = z.object({ siteId: z.string(), domain: z.string(), heldBy: z.string() });
export type ConflictingRoute = z.infer<typeof conflictingRouteSchema>;

/** The answer to PUT /v1/routes (and the `routes` of PUT /v1/apply's answer). */
export const routesAnswerSchema = z.object({
  ok: z.boolean(),
  /** Entries of the PUT that are now in force. */
  applied: z.number(),
  /** Entries refused because this node holds a higher epoch for the site; its entry stays. */
  stale: z.array(staleRouteSchema),
  /** Entries refused because a domain of theirs is still on a fenced (stale) site's entry. */
  conflicts: z.array(conflictingRouteSchema).default([]),
  /**
   * Whether this PUT reloaded nginx (edge.conf changed). A move's pause and release of a site
   * already on viaHold change nothing nginx sees, so they say false; the move's drain trusts its
   * in-flight count only then (requests an old worker still finishes are not counted). Agents
   * from before the no-reload pause do not say; they reloaded whenever the file changed.
   */
  reloaded: z.boolean().default(true),
});
export type RoutesAnswer = z.output<typeof routesAnswerSchema>;

/** GET /v1/routes: the table in force, and the requests waiting in the hold service now. */
export const routeTableAnswerSchema = z.object({ routes: z.array(routeSchema), held: z.number().int().min(0) });

/** POST /v1/routes/drain: a move's wait until none of the (paused) site's requests is in flight. */
export const drainRequestSchema = z.strictObject({ siteId: objectIdSchema, timeoutMs: z.number().int().min(0).max(60_000) });
export type DrainRequest = z.input<typeof drainRequestSchema>;
export const drainAnswerSchema = z.object({ drained: z.boolean(), inFlight: z.number().int().min(0), waitedMs: z.number().min(0), held: z.number().int().min(0) });
