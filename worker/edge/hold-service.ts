import http, { type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import { answer, forwarder, inFlightTracker, pinClientAddress, replayable } from "./forward";
import { holdFullPage, holdTimeoutPage, unknownHostPage, unreachablePage } from "./pages";
import { normaliseHost, type RouteDecision, type RouteTarget } from "./route-table";

// Where the front door parks the requests that cannot go to a site's backend now, for two causes:
// - paused: the site is moving between nodes or failing over. Each request waits until the route
//   table says the site is no longer paused (recheck(), called by the agent right after it applied
//   a PUT /v1/routes), then goes to the site's new backend and its response streams back
//   (forward.ts).
// - unreachable: the site's backend took no connection (its node died, or its link is down) and
//   the request can be sent again (GET or HEAD without a body: the front door sends only those
//   here after its own tries failed, render-edge.ts). It waits until the backend takes a
//   connection again (tried every `retryEveryMs`: a node that comes back without a failover gets
//   its requests) or the route table sends the site elsewhere (a failover's new live node). A
//   backend that has been unreachable for longer than a hold lasts is not waited for by new
//   requests: they get the 502 page at once, as a POST does.
// A request that waits too long gets 503 with Retry-After (the moving page, or the unreachable one).
//
// Bodies are streamed, not buffered: the front door has already read the whole body
// (proxy_request_buffering, nginx's default) and writes it to us as we read it. A held request's
// body is simply not read yet, so TCP backpressure keeps it in nginx (memory or its temp file)
// and what this process holds per request is one socket buffer, whatever the upload's size, even
// with thousands of requests held.

export const defaultHoldTimeoutMs = 30_000;
export const defaultMaxHeld = 10_000;
/** How often an unreachable backend is tried again while requests wait for it. */
export const defaultRetryEveryMs = 200;
/**
 * A backend that has not taken a connection within this is unreachable. Nodes share a network
 * where a connection takes well under a millisecond; this leaves room for one lost SYN, which
 * Linux sends again after a second.
 */
export const defaultConnectTimeoutMs = 2_000;

export type HoldServiceOptions = {
  host: string;
  port: number;
  /** Where a request for this Host goes now; "hold" keeps it waiting. */
  decide(host: string): RouteDecision;
  timeoutMs?: number;
  maxHeld?: number;
  retryEveryMs?: number;
  connectTimeoutMs?: number;
  /**
   * Only to measure the behaviour before requests waited for unreachable backends
   * (bench/node-loss.ts): every request whose backend is unreachable gets the 502 page at once.
   */
  failUnreachable?: boolean;
  /** Source address for the hop to a backend, so the backend trusts its X-Forwarded-For. */
  localAddress?: string;
  /** The front door's address, the one peer whose X-Forwarded-For is passed on (unset: nobody's). */
  frontDoor?: string;
  /** Told how each request that waited (or could not) left, and why it waited (the agent's Prometheus counter). */
  count?: (outcome: HoldOutcome, cause: HoldCause) => void;
};

/** How a request that had to wait left the hold service. */
export type HoldOutcome = "released" | "timed_out" | "refused_full" | "refused_closing" | "refused_unreachable" | "closed";
/** Why it had to wait: its site was paused, or its backend took no connection. */
export type HoldCause = "paused" | "unreachable";

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

/** A waiting request. `deadline` holds from its arrival, however often it waits again. */
type Held = { req: IncomingMessage; res: ServerResponse; host: string; cause: HoldCause; deadline: number; timer?: NodeJS.Timeout; left?: HoldOutcome };

/** A backend that took no connection: since when, when a request last wanted it, its next try. */
type Down = { target: RouteTarget; since: number; wantedAt: number; timer?: NodeJS.Timeout };

const retryAfter = { "retry-after": "5" };
const targetKey = (t: RouteTarget) => `${t.address}:${t.port}`;

/** Whether `target` takes a TCP connection within `timeoutMs`. */
function takesConnection(target: RouteTarget, localAddress: string | undefined, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.address, port: target.port, localAddress, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}

export function startHoldService(options: HoldServiceOptions): Promise<HoldService> {
  const timeoutMs = options.timeoutMs ?? defaultHoldTimeoutMs;
  const maxHeld = options.maxHeld ?? defaultMaxHeld;
  const retryEveryMs = options.retryEveryMs ?? defaultRetryEveryMs;
  const connectTimeoutMs = options.connectTimeoutMs ?? defaultConnectTimeoutMs;
  const count = options.count ?? (() => {});
  const held = new Set<Held>();
  const down = new Map<string, Down>();
  /** Requests forwarded once: their body, if any, is consumed. */
  const sent = new WeakSet<IncomingMessage>();
  const inFlight = inFlightTracker();
  const backends = forwarder(inFlight, options.localAddress, connectTimeoutMs);
  let closing = false;

  /** The backend took no connection: requests for it wait, and it is tried again until it does. */
  function markDown(target: RouteTarget): void {
    const key = targetKey(target);
    if (down.has(key) || closing) return;
    const entry: Down = { target, since: Date.now(), wantedAt: Date.now() };
    down.set(key, entry);
    const tryAgain = () => {
      entry.timer = setTimeout(() => {
        void takesConnection(target, options.localAddress, connectTimeoutMs).then((ok) => {
          if (down.get(key) !== entry || closing) return;
          if (ok) {
            down.delete(key);
            recheck();
            return;
          }
          if (waitingFor(key)) entry.wantedAt = Date.now();
          // Nothing has waited for it for as long as a hold lasts: forgotten (a request for it
          // tries it again, and waits again).
          if (Date.now() - entry.wantedAt > timeoutMs) down.delete(key);
          else tryAgain();
        });
      }, retryEveryMs);
    };
    tryAgain();
  }

  /** Whether a waiting request waits for the backend `key`. */
  function waitingFor(key: string): boolean {
    for (const entry of held) {
      const decision = options.decide(entry.host);
      if (decision.kind === "forward" && targetKey(decision.target) === key) return true;
    }
    return false;
  }

  /** Why this request must wait under `decision`, or null if it can go on now. */
  function waitCause(req: IncomingMessage, decision: RouteDecision): HoldCause | null {
    if (decision.kind === "hold") return "paused";
    if (decision.kind !== "forward" || options.failUnreachable || !replayable(req)) return null;
    const entry = down.get(targetKey(decision.target));
    if (!entry) return null;
    entry.wantedAt = Date.now();
    return "unreachable";
  }

  /** Parks a request (new, or back from a backend that took no connection) until recheck() lets it go. */
  function park(req: IncomingMessage, res: ServerResponse, host: string, cause: HoldCause, entry: Held | undefined): void {
    if (closing || (!entry && held.size >= maxHeld)) {
      const outcome: HoldOutcome = closing ? (entry ? "closed" : "refused_closing") : "refused_full";
      if (entry) entry.left = outcome;
      else count(outcome, cause);
      return answer(res, 503, closing ? holdTimeoutPage : holdFullPage, retryAfter);
    }
    if (!entry) {
      entry = { req, res, host, cause, deadline: Date.now() + timeoutMs };
      const mine = entry;
      // Counted once, when the request is over: one that waits again after a release is one request.
      res.once("close", () => {
        if (held.delete(mine)) clearTimeout(mine.timer);
        if (mine.left) count(mine.left, mine.cause);
      });
    }
    const waiting = entry;
    waiting.left = undefined;
    waiting.timer = setTimeout(() => {
      held.delete(waiting);
      waiting.left = "timed_out";
      // What the visitor is told depends on what it waited for: a move, or a server that is away.
      answer(res, 503, waiting.cause === "paused" ? holdTimeoutPage : unreachablePage, retryAfter);
    }, Math.max(0, waiting.deadline - Date.now()));
    held.add(waiting);
  }

  /** Sends a request where the route table says, or parks it; `entry` when it was waiting already. */
  function dispatch(req: IncomingMessage, res: ServerResponse, host: string, entry?: Held): void {
    const decision = options.decide(host);
    const canWait = !options.failUnreachable && replayable(req);
    const long = decision.kind === "forward" ? down.get(targetKey(decision.target)) : undefined;
    if (!entry && canWait && long && Date.now() - long.since > timeoutMs) {
      // Unreachable for longer than a hold lasts: not coming back within this request's hold either.
      long.wantedAt = Date.now();
      count("refused_unreachable", "unreachable");
      return answer(res, 502, unreachablePage);
    }
    const cause = waitCause(req, decision);
    if (cause) return park(req, res, host, cause, entry);
    if (entry) entry.left = "released";
    if (decision.kind === "unknown") return answer(res, 404, unknownHostPage);
    if (decision.kind !== "forward") return;
    const { siteId, target } = decision;
    const again = sent.has(req);
    sent.add(req);
    backends.forward(req, res, siteId, target, {
      again,
      ...(canWait
        ? {
            unreachable: () => {
              markDown(target);
              park(req, res, host, "unreachable", entry);
            },
          }
        : {}),
    });
  }

  function recheck(): void {
    for (const entry of [...held]) {
      const decision = options.decide(entry.host);
      if (waitCause(entry.req, decision)) continue;
      held.delete(entry);
      clearTimeout(entry.timer);
      dispatch(entry.req, entry.res, entry.host, entry);
    }
  }

  const server = http.createServer((req, res) => {
    // The port is on the node's address: a client that reaches it directly must not choose the
    // address the backend believes.
    pinClientAddress(req, options.frontDoor);
    dispatch(req, res, normaliseHost(req.headers.host));
  });
  // Longer than nginx's upstream keepalive_timeout (60 s), so nginx is the side that closes an
  // idle connection and never reuses one this server has just closed.
  server.keepAliveTimeout = 65_000;
  // A held request is, by design, not fully received for up to timeoutMs.
  server.requestTimeout = timeoutMs + 120_000;

  async function close(): Promise<void> {
    closing = true;
    for (const entry of down.values()) clearTimeout(entry.timer);
    down.clear();
    const closed = new Promise<void>((done) => server.close(() => done()));
    for (const entry of [...held]) {
      held.delete(entry);
      clearTimeout(entry.timer);
      entry.left = "closed";
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
    recheck,
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
