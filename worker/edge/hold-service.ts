import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { answer, forwarder, inFlightTracker, pinClientAddress } from "./forward";
import { holdFullPage, holdTimeoutPage, unknownHostPage } from "./pages";
import { normaliseHost, type RouteDecision } from "./route-table";

// Where the front door parks a paused site's requests while the site moves between nodes. Each
// request waits until the route table says the site is no longer paused (recheck(), called by the
// agent right after it applied a PUT /v1/routes), then goes to the site's new backend and its
// response streams back (forward.ts). A request that waits too long gets 503 with Retry-After.
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
  /** The front door's address, the one peer whose X-Forwarded-For is passed on (unset: nobody's). */
  frontDoor?: string;
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

type Held = { req: IncomingMessage; res: ServerResponse; host: string; timer: NodeJS.Timeout };

const retryAfter = { "retry-after": "5" };

export function startHoldService(options: HoldServiceOptions): Promise<HoldService> {
  const timeoutMs = options.timeoutMs ?? defaultHoldTimeoutMs;
  const maxHeld = options.maxHeld ?? defaultMaxHeld;
  const count = options.count ?? (() => {});
  const held = new Set<Held>();
  const inFlight = inFlightTracker();
  const backends = forwarder(inFlight, options.localAddress);
  let closing = false;

  function dispatch(req: IncomingMessage, res: ServerResponse, decision: RouteDecision): void {
    if (decision.kind === "forward") return backends.forward(req, res, decision.siteId, decision.target);
    if (decision.kind === "unknown") return answer(res, 404, unknownHostPage);
    if (closing) {
      count("refused_closing");
      return answer(res, 503, holdTimeoutPage, retryAfter);
    }
    if (held.size >= maxHeld) {
      count("refused_full");
      return answer(res, 503, holdFullPage, retryAfter);
    }
    const entry: Held = {
      req,
      res,
      host: normaliseHost(req.headers.host),
      timer: setTimeout(() => {
        held.delete(entry);
        count("timed_out");
        answer(res, 503, holdTimeoutPage, retryAfter);
      }, timeoutMs),
    };
    held.add(entry);
    res.once("close", () => {
      if (held.delete(entry)) clearTimeout(entry.timer);
    });
  }

  const server = http.createServer((req, res) => {
    // The port is on the node's address: a client that reaches it directly must not choose the
    // address the backend believes.
    pinClientAddress(req, options.frontDoor);
    dispatch(req, res, options.decide(normaliseHost(req.headers.host)));
  });
  // Longer than nginx's upstream keepalive_timeout (60 s), so nginx is the side that closes an
  // idle connection and never reuses one this server has just closed.
  server.keepAliveTimeout = 65_000;
  // A held request is, by design, not fully received for up to timeoutMs.
  server.requestTimeout = timeoutMs + 120_000;

  async function close(): Promise<void> {
    closing = true;
    const closed = new Promise<void>((done) => server.close(() => done()));
    for (const entry of [...held]) {
      held.delete(entry);
      clearTimeout(entry.timer);
      count("closed");
      answer(entry.res, 503, holdTimeoutPage, retryAfter);
    }
    server.closeIdleConnections();
    const grace = new Promise<void>((done) => setTimeout(done, 5_000).unref());
    const finished = Promise.all(inFlight.all().map((res) => new Promise<void>((done) => res.once("close", done))));
    await Promise.race([finished, grace]);
    server.closeAllConnections();
    backends.destroy();
    await closed;
  }

  return listen(server, options).then((port) => ({
    port,
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
    inFlight: (siteId) => inFlight.count(siteId),
    drain: (siteId, timeoutMs) => inFlight.drain(siteId, timeoutMs),
    close,
  }));
}

/** Listens on options.host:port; answers the port (the one chosen when options.port is 0). */
function listen(server: http.Server, options: { host: string; port: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : options.port);
    });
  });
}
