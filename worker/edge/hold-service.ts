import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { holdFullPage, holdTimeoutPage, unknownHostPage, unreachablePage } from "./pages";
import { normaliseHost, type RouteDecision, type RouteTarget } from "./route-table";

// Where the front door parks a paused site's requests while the site moves between nodes. Each
// request waits until the route table says the site is no longer paused (recheck(), called by the
// agent right after it applied a PUT /v1/routes), then goes to the site's new backend and its
// response streams back. A request that waits too long gets 503 with Retry-After.
//
// Bodies are streamed, not buffered: the front door has already read the whole body
// (proxy_request_buffering, nginx's default) and writes it to us as we read it. A held request's
// body is simply not read yet, so TCP backpressure keeps it in nginx (memory or its temp file)
// and what this process holds per request is one socket buffer, whatever the upload's size, even
// with thousands of requests held.

export const defaultHoldTimeoutMs = 30_000;
export const defaultMaxHeld = 10_000;

export type HoldServiceOptions = {
  host: string;
  port: number;
  /** Where a request for this Host goes now; "hold" keeps it waiting. */
  decide(host: string): RouteDecision;
  timeoutMs?: number;
  maxHeld?: number;
  /** Source address for the hop to a backend, so the backend trusts its X-Forwarded-For. */
  localAddress?: string;
  /** Told how each request that met a paused site left (the agent's Prometheus counter). */
  count?: (outcome: HoldOutcome) => void;
};

/** How a request that met a paused site left the hold service. */
export type HoldOutcome = "released" | "timed_out" | "refused_full" | "refused_closing" | "closed";

export type HoldService = {
  port: number;
  /** How many requests are waiting now. */
  heldCount(): number;
  /** Re-decides every waiting request; those no longer on hold go to their target (or 404). */
  recheck(): void;
  /** Requests of this site forwarded to a backend and not finished yet. */
  inFlight(siteId: string): number;
  /**
   * Resolves when no request of the site is in flight to a backend any more, or after timeoutMs,
   * with the number still in flight (0: drained). A paused site gets no new forwards, so this is
   * the drain of a move: what the source was still serving through this edge has finished.
   */
  drain(siteId: string, timeoutMs: number): Promise<number>;
  /** Stops listening; waiting requests get 503, forwarded ones get a few seconds to finish. */
  close(): Promise<void>;
};

// Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are never passed on.
const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
  return out;
}

function answer(res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-store",
    // The request's body may be unread: do not leave it in the connection for the next request.
    connection: "close",
    ...extra,
  });
  res.end(html);
}

/** Idempotent and without a body: sending it again after a failed connection changes nothing. */
function replayable(req: IncomingMessage): boolean {
  const method = req.method ?? "GET";
  const noBody = req.headers["transfer-encoding"] === undefined && (req.headers["content-length"] ?? "0") === "0";
  return noBody && (method === "GET" || method === "HEAD" || method === "OPTIONS");
}

type Held = { req: IncomingMessage; res: ServerResponse; host: string; timer: NodeJS.Timeout };

export function startHoldService(options: HoldServiceOptions): Promise<HoldService> {
  const timeoutMs = options.timeoutMs ?? defaultHoldTimeoutMs;
  const maxHeld = options.maxHeld ?? defaultMaxHeld;
  const count = options.count ?? (() => {});
  const held = new Set<Held>();
  const forwarding = new Set<ServerResponse>();
  // The same requests by site, for drain(); a site's entry goes when its last request finishes.
  const forwardingBySite = new Map<string, Set<ServerResponse>>();
  const drainWaiters = new Map<string, Set<() => void>>();
  const finishedForward = (siteId: string, res: ServerResponse) => {
    const mine = forwardingBySite.get(siteId);
    if (!mine?.delete(res) || mine.size > 0) return;
    forwardingBySite.delete(siteId);
    for (const wake of drainWaiters.get(siteId) ?? []) wake();
  };
  // Released requests reuse connections to the backend; the cap keeps a release of thousands of
  // requests from opening thousands of connections at once (the rest queue in the agent).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let closing = false;

  // A retry never reuses a kept-alive connection: the one that just failed was probably not alone.
  const freshAgent = new http.Agent({ keepAlive: false, maxSockets: 256 });

  function forward(req: IncomingMessage, res: ServerResponse, siteId: string, target: RouteTarget, retry = false): void {
    if (!retry) {
      forwarding.add(res);
      const mine = forwardingBySite.get(siteId) ?? new Set<ServerResponse>();
      forwardingBySite.set(siteId, mine.add(res));
      res.once("close", () => {
        forwarding.delete(res);
        finishedForward(siteId, res);
      });
    }
    const upstream = http.request({
      host: target.address,
      port: target.port,
      method: req.method,
      path: req.url,
      // Host, X-Forwarded-For (the client, set by the front door) and X-Shoal-Edge pass unchanged.
      headers: endToEnd(req.headers),
      agent: retry ? freshAgent : agent,
      localAddress: options.localAddress,
      timeout: 120_000,
    });
    upstream.on("response", (response) => {
      res.writeHead(response.statusCode ?? 502, endToEnd(response.headers));
      response.pipe(res);
    });
    upstream.on("timeout", () => upstream.destroy(new Error("The backend did not answer in time.")));
    upstream.on("error", () => {
      // The backend's nginx closed a kept-alive connection just as we reused it (a reload closes
      // its idle connections, and a move reloads the target's nginx just before the release): a
      // request without a body that got no response yet is safe to send once more.
      if (!retry && upstream.reusedSocket && !res.headersSent && !res.destroyed && replayable(req)) {
        return forward(req, res, siteId, target, true);
      }
      if (!res.headersSent) answer(res, 502, unreachablePage);
      else res.destroy();
    });
    // The front door gave up (or the agent stops): do not keep the backend working for nobody.
    const abandon = () => {
      if (!res.writableFinished) upstream.destroy();
    };
    res.once("close", abandon);
    upstream.once("close", () => res.off("close", abandon));
    // A replayed request has no body, and its first attempt already consumed the end of it.
    if (retry) upstream.end();
    else req.pipe(upstream);
  }

  function dispatch(req: IncomingMessage, res: ServerResponse, decision: RouteDecision): void {
    if (decision.kind === "forward") return forward(req, res, decision.siteId, decision.target);
    if (decision.kind === "unknown") return answer(res, 404, unknownHostPage);
    if (closing) {
      count("refused_closing");
      return answer(res, 503, holdTimeoutPage, { "retry-after": "5" });
    }
    if (held.size >= maxHeld) {
      count("refused_full");
      return answer(res, 503, holdFullPage, { "retry-after": "5" });
    }
    const entry: Held = {
      req,
      res,
      host: normaliseHost(req.headers.host),
      timer: setTimeout(() => {
        held.delete(entry);
        count("timed_out");
        answer(res, 503, holdTimeoutPage, { "retry-after": "5" });
      }, timeoutMs),
    };
    held.add(entry);
    res.once("close", () => {
      if (held.delete(entry)) clearTimeout(entry.timer);
    });
  }

  const server = http.createServer((req, res) => {
    dispatch(req, res, options.decide(normaliseHost(req.headers.host)));
  });
  // Longer than nginx's upstream keepalive_timeout (60 s), so nginx is the side that closes an
  // idle connection and never reuses one this server has just closed.
  server.keepAliveTimeout = 65_000;
  // A held request is, by design, not fully received for up to timeoutMs.
  server.requestTimeout = timeoutMs + 120_000;

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : options.port,
        heldCount: () => held.size,
        recheck() {
          for (const entry of [...held]) {
            const decision = options.decide(entry.host);
            if (decision.kind === "hold") continue;
            held.delete(entry);
            clearTimeout(entry.timer);
            count("released");
            dispatch(entry.req, entry.res, decision);
          }
        },
        inFlight: (siteId) => forwardingBySite.get(siteId)?.size ?? 0,
        drain(siteId, timeoutMs) {
          if (!forwardingBySite.has(siteId)) return Promise.resolve(0);
          return new Promise<number>((resolve) => {
            const waiters = drainWaiters.get(siteId) ?? new Set<() => void>();
            drainWaiters.set(siteId, waiters);
            const done = () => {
              clearTimeout(timer);
              waiters.delete(done);
              if (waiters.size === 0 && drainWaiters.get(siteId) === waiters) drainWaiters.delete(siteId);
              resolve(forwardingBySite.get(siteId)?.size ?? 0);
            };
            const timer = setTimeout(done, timeoutMs);
            waiters.add(done);
          });
        },
        async close() {
          closing = true;
          const closed = new Promise<void>((done) => server.close(() => done()));
          for (const entry of [...held]) {
            held.delete(entry);
            clearTimeout(entry.timer);
            count("closed");
            answer(entry.res, 503, holdTimeoutPage, { "retry-after": "5" });
          }
          server.closeIdleConnections();
          const grace = new Promise<void>((done) => setTimeout(done, 5_000).unref());
          const finished = Promise.all([...forwarding].map((res) => new Promise<void>((done) => res.once("close", done))));
          await Promise.race([finished, grace]);
          server.closeAllConnections();
          agent.destroy();
          freshAgent.destroy();
          await closed;
        },
      });
    });
  });
}
