import { Queue, type Job, type Worker } from "bullmq";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { z } from "zod";
import type { Db } from "../../server/db";
import { QUEUES, createRedisConnection } from "../../server/jobs/queues";
import type { Log } from "../../server/observability/logger";
import { startMetricsServer, type MetricsServer } from "../../server/observability/metrics-http";
import { parseEnv } from "../../server/parse-env";
import { registerHealthGauges } from "../../server/observability/health-metrics";
import { readControlPlaneHealth } from "../../server/services/health/read-control-plane-health";

// The control worker's Prometheus series, all in one registry. Counters are incremented where the
// event happens (one line there); the gauges that describe shared state (queue depths, heartbeat
// ages) are read from Redis and Postgres when scraped, so every control worker reports the same
// cluster-wide values, whichever of them ran the heartbeat tick.

export const controlRegistry = new Registry();

export type OperationOutcome = "succeeded" | "failed";

export const operationsTotal = new Counter({
  name: "shoal_operations_total",
  help: "Operations that ended, by kind (site.create, site.move, ...) and outcome.",
  labelNames: ["kind", "outcome"] as const,
  registers: [controlRegistry],
});

/** Counts operations that just ended; `ops` are the rows this worker moved to SUCCEEDED or FAILED. */
export function countSettled(ops: readonly { kind: string }[] | { kind: string }, outcome: OperationOutcome): void {
  const list: readonly { kind: string }[] = "kind" in ops ? [ops] : ops;
  for (const op of list) operationsTotal.inc({ kind: op.kind, outcome });
}

export const reconcileSeconds = new Histogram({
  name: "shoal_reconcile_duration_seconds",
  help: "One reconcile of one node: read, converge on the agent, record, routes, settle. outcome: applied, skipped (nothing to do), retry (node away or a step failed), failed.",
  labelNames: ["outcome"] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [controlRegistry],
});

export const jobSeconds = new Histogram({
  name: "shoal_job_duration_seconds",
  help: "BullMQ jobs this worker ran, from start to end, by queue, job name and outcome.",
  labelNames: ["queue", "name", "outcome"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [controlRegistry],
});

export const failoversTotal = new Counter({
  name: "shoal_failovers_total",
  help: "Sites failed over from a DEAD node, by outcome (succeeded: promoted on a replica).",
  labelNames: ["outcome"] as const,
  registers: [controlRegistry],
});

export const movesTotal = new Counter({
  name: "shoal_moves_total",
  help: "Site moves between nodes that ended, by outcome.",
  labelNames: ["outcome"] as const,
  registers: [controlRegistry],
});

// What the scrape-time gauges read; set by startControlMetrics.
let sources: { db: Db; queues: Queue[] } | null = null;

new Gauge({
  name: "shoal_queue_jobs",
  help: "Jobs in each BullMQ queue, by state (waiting, active, delayed, prioritized, failed).",
  labelNames: ["queue", "state"] as const,
  registers: [controlRegistry],
  async collect() {
    this.reset();
    if (!sources) return;
    for (const queue of sources.queues) {
      const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized", "failed");
      for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
    }
  },
});

new Gauge({
  name: "shoal_node_heartbeat_age_seconds",
  help: "Seconds since each node's agent last answered the heartbeat (absent: never heard).",
  labelNames: ["node"] as const,
  registers: [controlRegistry],
  async collect() {
    this.reset();
    if (!sources) return;
    const now = Date.now();
    for (const n of await sources.db.node.findMany({ select: { name: true, lastHeartbeatAt: true } })) {
      if (n.lastHeartbeatAt) this.set({ node: n.name }, Math.max(0, (now - n.lastHeartbeatAt.getTime()) / 1000));
    }
  },
});

new Gauge({
  name: "shoal_converge_holds",
  help: "Objects a node could not converge and now leaves alone until a change or a retry (ConvergeHold rows), by node and kind (site, database, account).",
  labelNames: ["node", "kind"] as const,
  registers: [controlRegistry],
  async collect() {
    this.reset();
    if (!sources) return;
    for (const h of await sources.db.convergeHold.findMany({ select: { objectKind: true, node: { select: { name: true } } } })) {
      this.inc({ node: h.node.name, kind: h.objectKind });
    }
  },
});

/** Records every job the workers finish in shoal_job_duration_seconds. */
export function observeWorkers(workers: readonly Worker[]): void {
  const seconds = (job: Job) => (job.processedOn && job.finishedOn ? Math.max(0, job.finishedOn - job.processedOn) / 1000 : null);
  for (const worker of workers) {
    worker.on("completed", (job) => {
      const s = seconds(job);
      if (s !== null) jobSeconds.observe({ queue: worker.name, name: job.name, outcome: "completed" }, s);
    });
    worker.on("failed", (job) => {
      const s = job ? seconds(job) : null;
      if (job && s !== null) jobSeconds.observe({ queue: worker.name, name: job.name, outcome: "failed" }, s);
    });
  }
}

/** The control worker's metrics variables; also part of its environment schema (env.ts), checked at start. */
export const controlMetricsEnv = {
  /** Unset: no /metrics. 0: an ephemeral port, printed at start. */
  SHOAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Loopback by default; anywhere else a scrape needs SHOAL_METRICS_TOKEN. */
  SHOAL_METRICS_HOST: z.string().default("127.0.0.1"),
  SHOAL_METRICS_TOKEN: z.string().min(16, "SHOAL_METRICS_TOKEN must be at least 16 characters.").optional(),
};

const metricsEnv = z.object(controlMetricsEnv);

export type ControlMetricsOptions = {
  db: Db;
  redisUrl: string;
  prefix: string;
  /** The workers whose job durations are recorded. */
  workers: readonly Worker[];
  log: Log;
  /** Defaults to the process environment (SHOAL_METRICS_PORT, _HOST, _TOKEN). */
  env?: Record<string, string | undefined>;
};

/**
 * Starts recording and, when SHOAL_METRICS_PORT is set, serves /metrics. Resolves to the server,
 * or null when metrics are not served.
 */
export async function startControlMetrics(options: ControlMetricsOptions): Promise<MetricsServer | null> {
  observeWorkers(options.workers);
  const env = parseEnv(metricsEnv, "control worker", options.env ?? process.env);
  if (env.SHOAL_METRICS_PORT === undefined) return null;
  if (!sources) {
    collectDefaultMetrics({ register: controlRegistry });
    // Its own connection, failing fast: a scrape while Redis is away must answer, not hang.
    const connection = createRedisConnection(options.redisUrl, { forWorker: false });
    connection.on("error", () => undefined);
    sources = { db: options.db, queues: Object.values(QUEUES).map((name) => new Queue(name, { connection, prefix: options.prefix })) };
    // The control plane's own health, as the panel and /api/health see it.
    const health = { db: options.db, redis: connection, prefix: options.prefix };
    registerHealthGauges(controlRegistry, () => readControlPlaneHealth(health));
  }
  const server = await startMetricsServer({ host: env.SHOAL_METRICS_HOST, port: env.SHOAL_METRICS_PORT, registry: controlRegistry, token: env.SHOAL_METRICS_TOKEN });
  options.log(`metrics on http://${env.SHOAL_METRICS_HOST}:${server.port}/metrics`, { metricsPort: server.port });
  return server;
}
