import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { answerScrape, isLoopback } from "../../server/observability/metrics-http";
import type { HoldCause, HoldOutcome } from "../edge/hold-service";
import type { ConvergeTiming } from "./converge-timing";

// One agent's Prometheus series (its own registry: tests run several agents in one process).
// Front-door requests are counted from the node's nginx access log, which the heartbeat sampler
// (metrics.ts) already reads: every request nginx answered, whatever it proxied to, counted when
// the log is next read (the heartbeat's poll or a scrape). The hold service counts the requests it
// parked and how each left. Each converge's phases and steps are timed (converge-timing.ts).


export type AgentMetrics = {
  registry: Registry;
  /** One front-door request nginx logged, with its status code. */
  frontDoorRequest: (status: number) => void;
  /** A request the hold service parked, or could not, how it left and why it waited. */
  held: (outcome: HoldOutcome, cause: HoldCause) => void;
  /** One converge step's own time (the timer's onStep). */
  convergeStep: (kind: string, ms: number) => void;
  /** One converge's phases, once it is done. */
  converged: (timing: ConvergeTiming) => void;
  /** Where the number of requests waiting now is read at scrape time. */
  watchHeld(count: () => number): void;
  /**
   * Answers GET /metrics: to a loopback caller or one `authorised` accepts (the node's scrape
   * token as a bearer, server.ts). `refresh` runs first (reads the access log).
   */
  serve(req: IncomingMessage, res: ServerResponse, authorised: (req: IncomingMessage) => boolean, refresh?: () => Promise<unknown>): Promise<void>;
};

export function createAgentMetrics(): AgentMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const frontDoor = new Counter({
    name: "shoal_frontdoor_requests_total",
    help: "Requests the node's front door (nginx) answered, by status code, from its access log.",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const hold = new Counter({
    name: "shoal_edge_held_requests_total",
    help: "Requests that waited at the hold service, by why (cause: paused, a moving or failing-over site; unreachable, a backend that took no connection) and how they left: released (to the site's backend), timed_out or closed (503 after waiting), refused_full or refused_closing (503 at once), refused_unreachable (502 at once: the backend has been unreachable for longer than a hold lasts).",
    labelNames: ["outcome", "cause"] as const,
    registers: [registry],
  });
  // Steps range from a file write (under a millisecond) to a php-fpm master's start or a reload
  // that waits for running requests (up to two minutes).
  const buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];
  const convergeSeconds = new Histogram({
    name: "shoal_agent_converge_seconds",
    help: "Converges of the node's spec, by phase: prepare (node layout), observe (reading the node), steps (all steps, wall clock), recheck (observing again to prove convergence, only after a change), total.",
    labelNames: ["phase"] as const,
    buckets,
    registers: [registry],
  });
  const stepSeconds = new Histogram({
    name: "shoal_agent_converge_step_seconds",
    help: "Converge steps by kind (diff-node.ts), each step's own time; steps of different accounts run side by side, and pool or vhost writes checked together count as one.",
    labelNames: ["kind"] as const,
    buckets,
    registers: [registry],
  });
  let heldNow: () => number = () => 0;
  new Gauge({
    name: "shoal_edge_held_requests",
    help: "Requests waiting in the hold service now.",
    registers: [registry],
    collect() {
      this.set(heldNow());
    },
  });
  return {
    registry,
    frontDoorRequest: (status) => frontDoor.inc({ code: String(status) }),
    held: (outcome, cause) => hold.inc({ outcome, cause }),
    convergeStep: (kind, ms) => stepSeconds.observe({ kind }, ms / 1000),
    converged(timing) {
      convergeSeconds.observe({ phase: "total" }, timing.totalMs / 1000);
      for (const [phase, ms] of Object.entries(timing.phases)) if (phase !== "recheck" || ms > 0) convergeSeconds.observe({ phase }, ms / 1000);
    },
    watchHeld(count) {
      heldNow = count;
    },
    async serve(req, res, authorised, refresh) {
      const allowed = isLoopback(req.socket.remoteAddress) || authorised(req);
      if (allowed) await refresh?.().catch(() => undefined);
      await answerScrape(req, res, registry, allowed);
    },
  };
}
