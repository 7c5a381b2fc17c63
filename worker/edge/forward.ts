import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { unreachablePage } from "./pages";
import type { RouteTarget } from "./route-table";

// The hold service's hop to a site's backend: a request passed on with its body streamed, its
// response streamed back, and each site's requests counted while in flight so that a move can
// wait for them to finish (drain). A request that can be sent again (no body, idempotent) and
// found its backend unreachable goes back to the caller instead of getting the 502 page, which
// then waits for the backend or a new route (hold-service.ts).

// Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are never passed on.
const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
  return out;
}

export function answer(res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): void {
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

/**
 * Only `frontDoor` (this node's front door, whose hop is bound to the node's address) speaks for
 * the client: anyone else who connects is the client, whatever forwarding headers it wrote.
 */
export function pinClientAddress(req: IncomingMessage, frontDoor: string | undefined): void {
  const peer = req.socket.remoteAddress ?? "";
  if (frontDoor !== undefined && peer === frontDoor) return;
  req.headers["x-forwarded-for"] = peer;
  req.headers["x-real-ip"] = peer;
}

/** Idempotent and without a body: sending it again after a failed connection changes nothing. */
export function replayable(req: IncomingMessage): boolean {
  const method = req.method ?? "GET";
  const noBody = req.headers["transfer-encoding"] === undefined && (req.headers["content-length"] ?? "0") === "0";
  return noBody && (method === "GET" || method === "HEAD" || method === "OPTIONS");
}

/** The responses being forwarded, all and by site; a site's entry goes when its last one finishes. */
export function inFlightTracker() {
  const all = new Set<ServerResponse>();
  const bySite = new Map<string, Set<ServerResponse>>();
  const drainWaiters = new Map<string, Set<() => void>>();
  const finished = (siteId: string, res: ServerResponse) => {
    all.delete(res);
    const mine = bySite.get(siteId);
    if (!mine?.delete(res) || mine.size > 0) return;
    bySite.delete(siteId);
    for (const wake of drainWaiters.get(siteId) ?? []) wake();
  };
  return {
    add(siteId: string, res: ServerResponse): void {
      all.add(res);
      bySite.set(siteId, (bySite.get(siteId) ?? new Set<ServerResponse>()).add(res));
      res.once("close", () => finished(siteId, res));
    },
    count: (siteId: string) => bySite.get(siteId)?.size ?? 0,
    /** The request no longer is in flight although its response is still open (it waits again). */
    remove: (siteId: string, res: ServerResponse) => finished(siteId, res),
    all: () => [...all],
    /** Resolves with the site's count once it is 0, or after timeoutMs. */
    drain(siteId: string, timeoutMs: number): Promise<number> {
      if (!bySite.has(siteId)) return Promise.resolve(0);
      return new Promise<number>((resolve) => {
        const waiters = drainWaiters.get(siteId) ?? new Set<() => void>();
        drainWaiters.set(siteId, waiters);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          if (waiters.size === 0 && drainWaiters.get(siteId) === waiters) drainWaiters.delete(siteId);
          resolve(bySite.get(siteId)?.size ?? 0);
        };
        const timer = setTimeout(done, timeoutMs);
        waiters.add(done);
      });
    },
  };
}

export type InFlight = ReturnType<typeof inFlightTracker>;

/** A connection to the backend that was not made in time: the backend is unreachable, not slow. */
class ConnectTimeoutError extends Error {}

/** How a request the backend never answered came back instead of being answered 502. */
export type Unreachable = () => void;

/**
 * Forwards requests to backends; `localAddress` is the hop's source, so the backend trusts its
 * X-Forwarded-For. A connection not made within `connectTimeoutMs` counts as a failed one.
 */
export function forwarder(inFlight: InFlight, localAddress: string | undefined, connectTimeoutMs = 120_000) {
  // Released requests reuse connections to the backend; the cap keeps a release of thousands of
  // requests from opening thousands of connections at once (the rest queue in the agent).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  // A retry never reuses a kept-alive connection: the one that just failed was probably not alone.
  const freshAgent = new http.Agent({ keepAlive: false, maxSockets: 256 });

  /**
   * `again`: the request was sent before (its body, if any, is consumed). `unreachable`: called
   * instead of answering 502 when no response came, unless the backend timed out answering (a slow
   * backend has the request: sending it again would run it twice).
   */
  function forward(req: IncomingMessage, res: ServerResponse, siteId: string, target: RouteTarget, again: boolean, unreachable?: Unreachable, retry = false): void {
    if (!retry) inFlight.add(siteId, res);
    const upstream = http.request({
      host: target.address,
      port: target.port,
      method: req.method,
      path: req.url,
      // Host, X-Forwarded-For (the client: set by the front door, or pinned) and X-Edge pass unchanged.
      headers: endToEnd(req.headers),
      agent: retry ? freshAgent : agent,
      localAddress,
      timeout: 120_000,
    });
    let answerTimedOut = false;
    upstream.on("socket", (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => upstream.destroy(new ConnectTimeoutError("The backend took no connection in time.")), connectTimeoutMs);
      socket.once("connect", () => clearTimeout(timer));
      socket.once("close", () => clearTimeout(timer));
    });
    upstream.on("response", (response) => {
      res.writeHead(response.statusCode ?? 502, endToEnd(response.headers));
      response.pipe(res);
      // The backend went away in the middle of its answer: the client must see it cut, not wait.
      response.on("error", () => res.destroy());
      response.once("close", () => {
        if (!response.complete) res.destroy();
      });
    });
    upstream.on("timeout", () => {
      answerTimedOut = true;
      upstream.destroy(new Error("The backend did not answer in time."));
    });
    upstream.on("error", () => {
      // The backend's nginx closed a kept-alive connection just as we reused it (a reload closes
      // its idle connections, and a move reloads the target's nginx just before the release): a
      // request without a body that got no response yet is safe to send once more.
      if (!retry && upstream.reusedSocket && !res.headersSent && !res.destroyed && replayable(req)) {
        return forward(req, res, siteId, target, true, unreachable, true);
      }
      if (unreachable && !answerTimedOut && !res.headersSent && !res.destroyed) {
        inFlight.remove(siteId, res);
        return unreachable();
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
    // A request sent before has no body, and its first attempt already consumed the end of it.
    if (retry || again) upstream.end();
    else req.pipe(upstream);
  }

  return {
    /**
     * `again`: this request was forwarded before and came back through `unreachable`. Pass
     * `unreachable` only for a request that is `replayable`.
     */
    forward: (req: IncomingMessage, res: ServerResponse, siteId: string, target: RouteTarget, opts: { again?: boolean; unreachable?: Unreachable } = {}) =>
      forward(req, res, siteId, target, opts.again ?? false, opts.unreachable),
    destroy(): void {
      agent.destroy();
      freshAgent.destroy();
    },
  };
}
