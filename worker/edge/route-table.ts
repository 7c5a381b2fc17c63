import { routeTableSchema, type ConflictingRoute, type Route, type RouteTarget, type StaleRoute } from "../../server/contract/route-table";

// The front door's route table as this node holds it: parsed from what the control plane sends
// (its schema is the node API's contract), merged with the table held so that fencing holds, and
// looked up by Host. Pure: no I/O, unit tested.

export type { Route, RouteTarget } from "../../server/contract/route-table";
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
