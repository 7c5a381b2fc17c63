import { readFileSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { z } from "zod";
import { startEdge, type EdgeOptions } from "../edge/edge-routes";
import { InvalidRoutesError, parseRouteTable } from "../edge/route-table";
import { reloadNginxAndWait } from "./drivers/nginx";
import { bearerAuth } from "./auth";
import { converge, observeNode, type StepResult } from "./converge";
import type { NodeRoot } from "./node-root";
import { createMetricsSampler } from "./metrics";
import { probeFrontDoor, probeRequestSchema } from "./peer-probe";
import { InvalidSpecError, objectIdSchema, parseNodeSpec, type NodeSpec } from "../../server/contract/node-spec";
import { createStorageApi, isStreamUpload } from "./storage/routes";
import { createAgentMetrics } from "./agent-metrics";
import { isMetricsRequest } from "../../server/observability/metrics-http";

// The agent's HTTP API, on the node's own address. Only the control plane calls it, with the
// node's secret; nothing is read from a request (not even its body) before the secret checks out.
// Every call is idempotent: PUT /v1/spec sends the whole desired state and converge turns it into
// the steps still missing, so a retried or repeated PUT does nothing the second time.

export const maxSpecBytes = 1024 * 1024;
// A whole route table: up to 20,000 routes of a few hundred bytes each.
export const maxRoutesBytes = 16 * 1024 * 1024;
const drainBody = z.strictObject({ siteId: objectIdSchema, timeoutMs: z.number().int().min(0).max(60_000) });
/** A request body must arrive within this (except snapshot streams). */
const requestTimeoutMs = 30_000;

const agentVersion: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export type AgentServerOptions = {
  host: string;
  port: number;
  secret: string;
  nodeRoot: NodeRoot;
  /** After the edge accepted a route table from the control plane (resume.ts starts nginx then). */
  onRoutesApplied?: () => void;
  /** Whether the front door still waits for its first route table after a crash. */
  awaitingRoutes?: () => boolean;
  /** The hold service's bounds (tests shorten the timeout). */
  edge?: EdgeOptions;
};

export type AgentServer = { port: number; close(): Promise<void> };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** Reads the body up to `limit` bytes, refusing early on a declared or streamed overrun. */
async function readJsonBody(req: IncomingMessage, limit = maxSpecBytes): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new HttpError(415, "The body must be application/json.");
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) throw new HttpError(413, `The body must be at most ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `The body must be at most ${limit} bytes.`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks))) as unknown;
  } catch (e) {
    throw new HttpError(400, `The body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Runs tasks one at a time in arrival order, so two converges never interleave their steps. */
function serialise() {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      const result = tail.then(task);
      tail = result.catch(() => {});
      return result;
    },
  };
}

export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const { nodeRoot: node } = options;
  // Prometheus series at GET /metrics (agent-metrics.ts): loopback callers or the node's secret.
  const prom = createAgentMetrics();
  // The front door's route table and the hold service (worker/edge/edge-routes.ts).
  const edge = await startEdge(node, { ...options.edge, countHeld: prom.held });
  prom.watchHeld(() => edge.hold.heldCount());
  const authorised = bearerAuth(options.secret);
  const startedAt = Date.now();
  const lock = serialise();
  const metrics = createMetricsSampler(node, { startedAt, onRequest: prom.frontDoorRequest, log: options.edge?.log });
  // GET /v1/state reports site stores against the document roots of the last spec it was given.
  let documentRoots: ReadonlyMap<string, string> = new Map();
  const storageApi = createStorageApi(node, { lock, readJsonBody: (req) => readJsonBody(req) });

  const routes: Record<string, Partial<Record<string, (req: IncomingMessage) => Promise<[number, unknown]>>>> = {
    "/v1/health": {
      GET: async () => [200, { ok: true, version: agentVersion, uptime: Math.floor((Date.now() - startedAt) / 1000) }],
    },
    // Can this node reach another node's front door? The control plane asks when it has lost
    // that node's heartbeat, before it declares it dead (peer-probe.ts).
    "/v1/probe": {
      POST: async (req) => {
        const parsed = probeRequestSchema.safeParse(await readJsonBody(req));
        if (!parsed.success) {
          throw new HttpError(422, "The probe request is invalid.", { code: "INVALID_PROBE", issues: parsed.error.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message })) });
        }
        return [200, await probeFrontDoor(parsed.data, node.address)];
      },
    },
    // The heartbeat, polled twice a second: see metrics.ts (validated by nodeMetricsSchema).
    "/v1/metrics": {
      // edge.confirmed false: the node came back from a crash and its front door waits for the
      // control plane's current route table before it serves (resume.ts).
      GET: async () => [200, { ...(await metrics.sample()), edge: { confirmed: !(options.awaitingRoutes?.() ?? false) } }],
    },
    "/v1/state": {
      GET: async () => {
        const observed = await observeNode(node, documentRoots);
        // Password hashes and config file bodies stay on the node; the control plane diffs specs,
        // not files, and needs only what exists and whether it is running.
        return [
          200,
          {
            nginx: { running: observed.nginx.running, vhosts: Object.keys(observed.nginx.vhosts) },
            phpFpm: { running: observed.phpFpm.running, pools: Object.keys(observed.phpFpm.pools) },
            accounts: observed.accounts.map((a) => ({ username: a.username, ready: a.homeReady && a.userComment !== null })),
            siteStores: observed.siteStores,
            mariadb: {
              running: observed.mariadb.running,
              initialised: observed.mariadb.initialised,
              databases: observed.mariadb.state?.databases ?? null,
              users: observed.mariadb.state?.users.map((u) => ({ username: u.username, host: u.host, locked: u.locked, grants: u.grants })) ?? null,
            },
          },
        ];
      },
    },
    "/v1/spec": {
      PUT: async (req) => {
        const input = await readJsonBody(req);
        return lock.run(async () => {
          let spec: NodeSpec;
          try {
            spec = parseNodeSpec(input);
          } catch (e) {
            if (e instanceof InvalidSpecError) throw new HttpError(422, "The spec is invalid.", { issues: e.issues });
            throw e;
          }
          const results: StepResult[] = await converge(node, spec);
          documentRoots = new Map(spec.sites.map((s) => [s.id, s.documentRoot]));
          const failed = results.filter((r) => !r.ok).length;
          return [200, { ok: failed === 0, changes: results.length - failed, failed, results }];
        });
      },
    },
    // Spec and route table in one call, applied under one nginx reload: a new site's vhost and
    // its route on its own node go live together, about 100 ms sooner than two calls (nginx's
    // reload waits 100 ms before it retires the old workers). Both bodies are validated before
    // anything is touched.
    "/v1/apply": {
      PUT: async (req) => {
        const input = await readJsonBody(req, maxRoutesBytes + maxSpecBytes);
        const body = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
        return lock.run(async () => {
          let spec: NodeSpec;
          try {
            spec = parseNodeSpec(body.spec);
          } catch (e) {
            if (e instanceof InvalidSpecError) throw new HttpError(422, "The spec is invalid.", { issues: e.issues.map((i) => ({ ...i, path: `spec.${i.path}` })) });
            throw e;
          }
          try {
            parseRouteTable(body.routes);
          } catch (e) {
            if (e instanceof InvalidRoutesError) {
              throw new HttpError(422, "The route table is invalid.", { code: "INVALID_ROUTES", issues: e.issues.map((i) => ({ ...i, path: `routes.${i.path}` })) });
            }
            throw e;
          }
          const deferred = { pending: false };
          const results: StepResult[] = await converge(node, spec, { deferNginxReload: deferred });
          documentRoots = new Map(spec.sites.map((s) => [s.id, s.documentRoot]));
          // A route table nginx refuses must not strand the converge's reload: reload, then fail.
          let routed: Awaited<ReturnType<typeof edge.put>> | null = null;
          let routeError: unknown = null;
          try {
            routed = await edge.put(body.routes, { reload: false });
            options.onRoutesApplied?.();
          } catch (e) {
            routeError = e;
          }
          if (deferred.pending || routed?.needsReload) {
            const reloadStep = results.find((r) => r.kind === "reloadNginx");
            try {
              await reloadNginxAndWait(node);
            } catch (e) {
              const error = e instanceof Error ? e.message : String(e);
              if (reloadStep) Object.assign(reloadStep, { ok: false, error });
              else results.push({ step: "reload nginx", kind: "reloadNginx", ok: false, error });
            }
            edge.released();
          }
          if (routeError || !routed) throw routeError;
          const failed = results.filter((r) => !r.ok).length;
          const { needsReload, ...routesResult } = routed;
          return [200, { spec: { ok: failed === 0, changes: results.length - failed, failed, results }, routes: { ...routesResult, reloaded: needsReload } }];
        });
      },
    },
    // A move's drain (worker/control/move-site.ts): waits, without the lock, until no request of
    // the (paused) site is in flight through this node's hold service, up to timeoutMs.
    "/v1/routes/drain": {
      POST: async (req) => {
        const parsed = drainBody.safeParse(await readJsonBody(req));
        if (!parsed.success) {
          throw new HttpError(422, "The drain request is invalid.", { issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
        }
        const started = Date.now();
        const inFlight = await edge.hold.drain(parsed.data.siteId, parsed.data.timeoutMs);
        return [200, { drained: inFlight === 0, inFlight, waitedMs: Date.now() - started, held: edge.hold.heldCount() }];
      },
    },
    "/v1/routes": {
      // held: requests waiting in the hold service now (a move in progress shows here).
      GET: async () => [200, { routes: edge.table(), held: edge.hold.heldCount() }],
      // The same lock as /v1/spec: both rewrite files that one `nginx -t` checks and one reload
      // applies. With two locks a route change could fail (and roll back) on a converge's
      // half-written vhost, or its reload could put that vhost in force before its check ran.
      // The price is that a route change waits for a converge in progress.
      PUT: async (req) => {
        const input = await readJsonBody(req, maxRoutesBytes);
        return lock.run(async () => {
          try {
            const { needsReload: _, ...result } = await edge.put(input);
            options.onRoutesApplied?.();
            return [200, result];
          } catch (e) {
            if (e instanceof InvalidRoutesError) {
              throw new HttpError(422, "The route table is invalid.", { code: "INVALID_ROUTES", issues: e.issues });
            }
            throw e;
          }
        });
      },
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (isMetricsRequest(req)) return prom.serve(req, res, authorised, () => metrics.sample());
    if (!authorised(req)) {
      // The unread body is not wanted: close the connection rather than drain it.
      res.setHeader("connection", "close");
      res.setHeader("www-authenticate", 'Bearer realm="shoal-agent"');
      return sendJson(res, 401, { error: { code: "UNAUTHENTICATED", message: "A valid bearer token is required." } });
    }
    // Snapshots, restores and replication streams: /v1/sites/:id/..., and the sites' disk use:
    // /v1/usage (storage/routes.ts).
    if (await storageApi.handle(req, res)) return;
    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    const route = Object.hasOwn(routes, pathname) ? routes[pathname] : undefined;
    if (!route) return sendJson(res, 404, { error: { code: "NOT_FOUND", message: `No route ${pathname}.` } });
    const method = req.method ?? "GET";
    const handler = Object.hasOwn(route, method) ? route[method] : undefined;
    if (!handler) {
      res.setHeader("allow", Object.keys(route).join(", "));
      return sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: `${pathname} does not accept ${method}.` } });
    }
    try {
      const [status, body] = await handler(req);
      sendJson(res, status, body);
    } catch (e) {
      if (e instanceof HttpError) {
        if (!req.complete) res.setHeader("connection", "close");
        return sendJson(res, e.status, { error: { code: httpCode(e.status), message: e.message, ...e.extra } });
      }
      sendJson(res, 500, { error: { code: "INTERNAL", message: e instanceof Error ? e.message : String(e) } });
    }
  }

  // Requests whose response has not been flushed yet; close() waits for them.
  const inFlight = new Set<Promise<void>>();
  const server = http.createServer((req, res) => {
    const done = new Promise<void>((resolve) => res.once("close", resolve));
    // What server.requestTimeout did, per request: a snapshot stream upload may take longer than
    // 30 s (it has an idle limit instead, storage/routes.ts).
    if (!isStreamUpload(req)) {
      const timer = setTimeout(() => {
        if (!req.complete) req.socket.destroy();
      }, requestTimeoutMs);
      void done.then(() => clearTimeout(timer));
    }
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: "INTERNAL", message: String(e) } });
      else res.destroy();
    });
  });
  // A slow client must not hold a socket open for minutes; converge time is not part of this.
  server.headersTimeout = 10_000;
  server.requestTimeout = 0;

  return new Promise<AgentServer>((resolve, reject) => {
    // The hold service is already listening: a failed start must not leave it behind.
    const failed = (e: unknown) => void edge.close().finally(() => reject(e));
    server.once("error", failed);
    server.listen(options.port, options.host, () => {
      server.off("error", failed);
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : options.port,
        async close() {
          const closed = new Promise<void>((done) => server.close(() => done()));
          server.closeIdleConnections();
          // Held requests get their 503 now, not after a converge in progress.
          const edgeClosed = edge.close();
          // A converge in progress finishes (and answers) rather than stopping half-way.
          await Promise.all(inFlight);
          server.closeAllConnections();
          await Promise.all([closed, edgeClosed]);
          await metrics.close();
        },
      });
    });
  });
}

function httpCode(status: number): string {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 415:
      return "UNSUPPORTED_MEDIA_TYPE";
    case 422:
      return "INVALID_SPEC";
    default:
      return "ERROR";
  }
}
