import { isIPv4 } from "node:net";
import { z } from "zod";
import { asciiDomainSchema, objectIdSchema } from "../../server/contract/node-spec";

// The front door's route table: for each site, the domains it answers to and where its requests
// go (the backend of the node that serves it, or this node's hold service while it is paused).
// The control plane always sends the WHOLE table; an entry carries the site's placement epoch,
// which rises with every move, so a delayed PUT from an older placement can never send a site's
// traffic back to the node it left (fencing). Pure: no I/O, unit tested.

export const maxRoutes = 20_000;

const targetSchema = z.strictObject({
  address: z.string().refine(isIPv4, "Must be an IPv4 address."),
  port: z.number().int().min(1, "Must be a port from 1 to 65535.").max(65535, "Must be a port from 1 to 65535."),
});

const routeSchema = z.strictObject({
  siteId: objectIdSchema,
  domains: z.array(asciiDomainSchema).min(1, "A route needs at least one domain.").max(100, "At most 100 domains per route."),
  // null: the site is served nowhere right now (a paused site still gets held, anything else 404s).
  target: targetSchema.nullable(),
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

function duplicates<T>(values: readonly T[]): Set<T> {
  const seen = new Set<T>();
  const repeated = new Set<T>();
  for (const value of values) (seen.has(value) ? repeated : seen).add(value);
  return repeated;
}

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

export type Route = z.infer<typeof routeSchema>;
export type RouteTarget = NonNullable<Route["target"]>;
/** Sorted by siteId, each route's domains sorted: the same table always renders the same file. */
export type RouteTable = readonly Route[];

export class InvalidRoutesError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`Invalid route table: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    this.name = "InvalidRoutesError";
  }
}

function canonical(routes: readonly Route[]): Route[] {
  return routes
    // viaHold: false is the same route as no viaHold at all, so it renders and compares the same.
    .map(({ viaHold, ...r }) => ({ ...r, domains: [...new Set(r.domains)].sort(), ...(viaHold ? { viaHold } : {}) }))
    .sort((a, b) => (a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0));
}

/** Parses an untrusted table (a PUT body, or the file on disk); errors name each field's path. */
export function parseRouteTable(input: unknown): RouteTable {
  const result = routeTableSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidRoutesError(
      result.error.issues.map((issue) => ({ path: issue.path.join(".") || "(routes)", message: issue.message })),
    );
  }
  return canonical(result.data.routes);
}

export type StaleRoute = { siteId: string; have: number; got: number };
/** An accepted entry that had to be refused because a domain is still held by a fenced one. */
export type ConflictingRoute = { siteId: string; domain: string; heldBy: string };
export type MergeResult = { table: RouteTable; stale: StaleRoute[]; conflicts: ConflictingRoute[] };

/**
 * Replaces `current` with `incoming`, except that an incoming entry whose epoch is lower than the
 * one held for its site is refused and the held entry stays (equal is accepted: a retried PUT).
 * Sites absent from `incoming` are removed. A refused entry keeps its old domains, which may now
 * clash with an accepted entry that took one of them over; such an accepted entry is refused too
 * (its old entry, if any, stays), repeated until no domain is on two routes. That terminates and
 * is consistent because every kept entry comes from `current`, which had no clash.
 */
export function mergeRouteTable(current: RouteTable, incoming: RouteTable): MergeResult {
  const held = new Map(current.map((r) => [r.siteId, r]));
  const kept = new Map<string, Route>();
  const accepted = new Map<string, Route>();
  const stale: StaleRoute[] = [];
  for (const route of incoming) {
    const have = held.get(route.siteId);
    if (have && route.epoch < have.epoch) {
      stale.push({ siteId: route.siteId, have: have.epoch, got: route.epoch });
      kept.set(route.siteId, have);
    } else {
      accepted.set(route.siteId, route);
    }
  }

  const conflicts: ConflictingRoute[] = [];
  for (;;) {
    const owner = new Map<string, string>();
    for (const route of kept.values()) for (const domain of route.domains) owner.set(domain, route.siteId);
    const clash = [...accepted.values()]
      .map((route) => ({ route, domain: route.domains.find((d) => owner.has(d)) }))
      .find((c) => c.domain !== undefined);
    if (!clash) break;
    const { route, domain } = clash;
    conflicts.push({ siteId: route.siteId, domain: domain!, heldBy: owner.get(domain!)! });
    accepted.delete(route.siteId);
    const previous = held.get(route.siteId);
    if (previous) kept.set(route.siteId, previous);
  }

  return { table: canonical([...kept.values(), ...accepted.values()]), stale, conflicts };
}

/** How the front door (and the hold service) sees one Host. */
export type RouteDecision =
  | { kind: "unknown" }
  | { kind: "hold"; siteId: string }
  | { kind: "forward"; siteId: string; target: RouteTarget };

export function decide(route: Route | undefined): RouteDecision {
  if (!route) return { kind: "unknown" };
  if (route.paused) return { kind: "hold", siteId: route.siteId };
  if (!route.target) return { kind: "unknown" };
  return { kind: "forward", siteId: route.siteId, target: route.target };
}

/** nginx's $host: lower case, no port, no trailing dot. */
export function normaliseHost(header: string | undefined): string {
  const host = (header ?? "").trim().toLowerCase();
  const withoutPort = host.startsWith("[") ? host : host.replace(/:[0-9]*$/, "");
  return withoutPort.replace(/\.$/, "");
}

export function indexByDomain(table: RouteTable): Map<string, Route> {
  const index = new Map<string, Route>();
  for (const route of table) for (const domain of route.domains) index.set(domain, route);
  return index;
}
