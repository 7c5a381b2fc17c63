import { z } from "zod";
import { applyAnswerSchema, specAnswerSchema, type SpecAnswer, type StepResult } from "../../../server/contract/node-apply";
import { InvalidSpecError, parseNodeSpec, type NodeSpec } from "../../../server/contract/node-spec";
import type { Edge } from "../../edge/edge-routes";
import { InvalidRoutesError, parseRouteTable } from "../../edge/route-table";
import { AgentError } from "../agent-error";
import { processLogger, toLog, type Log } from "../../../server/observability/logger";
import type { AgentMetrics } from "../agent-metrics";
import { converge } from "../converge";
import { convergeDns } from "../drivers/pdns";
import { zonesBodySchema } from "../../../server/contract/dns-zone";
import { startConvergeTimer, type ConvergeTimer } from "../converge-timing";
import { reloadNginxAndWait } from "../drivers/nginx";
import type { NodeRoot } from "../node-root";
import { answer, maxSpecBytes, readJsonBody, type AgentRoute } from "../router";
import type { AgentLock } from "../serialise";
import { maxRoutesBytes } from "./front-door-routes";

// The node's desired state. Every call is idempotent: PUT /v1/spec sends the whole desired state
// and converge turns it into the steps still missing, so a retried or repeated PUT does nothing
// the second time.

export type SpecRoutesContext = {
  node: NodeRoot;
  edge: Edge;
  lock: AgentLock;
  /** Called with the document roots of every spec converged (GET /v1/state reports against them). */
  converged: (spec: NodeSpec) => void;
  /** After the edge accepted a route table from the control plane. */
  onRoutesApplied?: (() => void) | undefined;
  /** Where each converge's timing goes (Prometheus); it is also logged when it changed something. */
  metrics?: Pick<AgentMetrics, "convergeStep" | "converged">;
  log?: Log;
};

/** The spec, or a 422 naming each offending field (under `prefix` when the spec is part of a body). */
function specOr422(input: unknown, prefix = ""): NodeSpec {
  try {
    return parseNodeSpec(input);
  } catch (e) {
    if (e instanceof InvalidSpecError) throw new AgentError(422, "INVALID_SPEC", "The spec is invalid.", e.issues.map((i) => ({ ...i, path: `${prefix}${i.path}` })));
    throw e;
  }
}

function summary(results: StepResult[]): SpecAnswer {
  const failed = results.filter((r) => !r.ok).length;
  return { ok: failed === 0, changes: results.length - failed, failed, results };
}

// PUT /v1/apply's two halves, each checked on its own; anything but an object has neither.
const applyHalves = z.object({ spec: z.unknown(), routes: z.unknown() }).catch({ spec: undefined, routes: undefined });

/** A timer for one converge, and what reports it once the converge (and its reload) is done. */
function convergeTiming(context: SpecRoutesContext): { timer: ConvergeTimer; report: (results: StepResult[]) => void } {
  const timer = startConvergeTimer({ onStep: context.metrics?.convergeStep });
  const log = context.log ?? toLog(processLogger("agent"));
  return {
    timer,
    report(results) {
      const timing = timer.done();
      context.metrics?.converged(timing);
      if (results.length === 0) return;
      const failed = results.filter((r) => !r.ok).length;
      log(`Converged ${results.length - failed} changes (${failed} failed) in ${Math.round(timing.totalMs)} ms.`, { converge: timing });
    },
  };
}

export function specRoutes(context: SpecRoutesContext): AgentRoute[] {
  const { node, lock } = context;
  return [
    {
      path: "/v1/spec",
      methods: {
        PUT: async ({ req }) => {
          const input = await readJsonBody(req);
          return lock.run(async () => {
            const spec = specOr422(input);
            const { timer, report } = convergeTiming(context);
            const results = await converge(node, spec, { timer });
            report(results);
            context.converged(spec);
            return answer(specAnswerSchema, summary(results));
          });
        },
      },
    },
    // The zones alone, outside the converge lock: DNS needs nothing else of the node, and a
    // record change must not wait behind a converge that installs WordPress (drivers/pdns.ts has
    // its own lock, and keeps a zone whose served serial is higher than the one sent).
    {
      path: "/v1/zones",
      methods: {
        PUT: async ({ req }) => {
          const parsed = zonesBodySchema.safeParse(await readJsonBody(req));
          if (!parsed.success) {
            throw new AgentError(422, "INVALID", "The zones are invalid.", parsed.error.issues.map((i) => ({ path: i.path.join(".") || "(zones)", message: i.message })));
          }
          return answer(specAnswerSchema, summary(await convergeDns(node, parsed.data.zones)));
        },
      },
    },
    // Spec and route table in one call, applied under one nginx reload: a new site's vhost and
    // its route on its own node go live together (nginx's reload waits 100 ms before it retires
    // the old workers, so two calls would take that twice). Both halves are validated before
    // anything is touched.
    {
      path: "/v1/apply",
      methods: {
        PUT: async ({ req }) => {
          const body = applyHalves.parse(await readJsonBody(req, maxRoutesBytes + maxSpecBytes));
          return lock.run(async () => {
            const spec = specOr422(body.spec, "spec.");
            try {
              parseRouteTable(body.routes);
            } catch (e) {
              if (e instanceof InvalidRoutesError) throw new AgentError(422, "INVALID_ROUTES", "The route table is invalid.", e.issues.map((i) => ({ ...i, path: `routes.${i.path}` })));
              throw e;
            }
            return answer(applyAnswerSchema, await apply(context, spec, body.routes));
          });
        },
      },
    },
  ];
}

/** Converges `spec`, puts the route table, and reloads nginx once for both. */
async function apply(context: SpecRoutesContext, spec: NodeSpec, routes: unknown): Promise<z.input<typeof applyAnswerSchema>> {
  const { node, edge } = context;
  const deferred = { pending: false };
  const { timer, report } = convergeTiming(context);
  const results = await converge(node, spec, { deferNginxReload: deferred, timer });
  context.converged(spec);
  // A route table nginx refuses must not strand the converge's reload: reload, then fail.
  let routed: Awaited<ReturnType<Edge["put"]>> | null = null;
  let routeError: unknown = null;
  try {
    routed = await edge.put(routes, { reload: false });
    context.onRoutesApplied?.();
  } catch (e) {
    routeError = e;
  }
  if (deferred.pending || routed?.needsReload) {
    const reloadStep = results.find((r) => r.kind === "reloadNginx");
    try {
      await timer.phase("steps", () => timer.step("reloadNginx", () => reloadNginxAndWait(node)));
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      if (reloadStep) Object.assign(reloadStep, { ok: false, error, objects: [] });
      else results.push({ step: "reload nginx", kind: "reloadNginx", ok: false, error, objects: [] });
    }
    edge.released();
  }
  report(results);
  if (routeError || !routed) throw routeError;
  const { needsReload, ...routesResult } = routed;
  return { spec: summary(results), routes: { ...routesResult, reloaded: needsReload } };
}
