import { drainAnswerSchema, drainRequestSchema, routesAnswerSchema, routeTableAnswerSchema } from "../../../server/contract/route-table";
import type { Edge } from "../../edge/edge-routes";
import { InvalidRoutesError } from "../../edge/route-table";
import { AgentError, parseOr422 } from "../agent-error";
import { answer, readJsonBody, type AgentRoute } from "../router";
import type { AgentLock } from "../serialise";

// The front door's route table (worker/edge/) and a move's drain of it.

// A whole route table: up to 20,000 routes of a few hundred bytes each.
export const maxRoutesBytes = 16 * 1024 * 1024;

export type FrontDoorRoutesContext = {
  edge: Edge;
  lock: AgentLock;
  /** After the edge accepted a route table from the control plane (resume.ts starts nginx then). */
  onRoutesApplied?: (() => void) | undefined;
};

export function frontDoorRoutes(context: FrontDoorRoutesContext): AgentRoute[] {
  const { edge, lock } = context;
  return [
    // A move's drain: waits, without the lock, until no request of the (paused) site is in
    // flight through this node's hold service, up to timeoutMs.
    {
      path: "/v1/routes/drain",
      methods: {
        POST: async ({ req }) => {
          const { siteId, timeoutMs } = parseOr422(drainRequestSchema, await readJsonBody(req), "INVALID_SPEC", "The drain request is invalid.");
          const started = Date.now();
          const inFlight = await edge.hold.drain(siteId, timeoutMs);
          return answer(drainAnswerSchema, { drained: inFlight === 0, inFlight, waitedMs: Date.now() - started, held: edge.hold.heldCount() });
        },
      },
    },
    {
      path: "/v1/routes",
      methods: {
        // held: requests waiting in the hold service now (a move in progress shows here).
        GET: async () => answer(routeTableAnswerSchema, { routes: [...edge.table()], held: edge.hold.heldCount() }),
        // The same lock as /v1/spec: both rewrite files that one `nginx -t` checks and one reload
        // applies. With two locks a route change could fail (and roll back) on a converge's
        // half-written vhost, or its reload could put that vhost in force before its check ran.
        // The price is that a route change waits for a converge in progress.
        PUT: async ({ req }) => {
          const input = await readJsonBody(req, maxRoutesBytes);
          return lock.run(async () => {
            try {
              const { needsReload: _, ...result } = await edge.put(input);
              context.onRoutesApplied?.();
              return answer(routesAnswerSchema, result);
            } catch (e) {
              if (e instanceof InvalidRoutesError) throw new AgentError(422, "INVALID_ROUTES", "The route table is invalid.", e.issues);
              throw e;
            }
          });
        },
      },
    },
  ];
}
