import http from "node:http";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { summarise, type OpenLoopError, type OpenLoopRecord, type OpenLoopSummary } from "./open-loop-summary";

// An open-loop HTTP load generator: requests leave on a fixed schedule whatever the server does,
// so a stalled server meets the same arrival rate real visitors would keep up (a closed loop would
// politely wait and hide the stall). Latency runs from the SCHEDULED send time, so when the
// generator itself falls behind, the delay is charged to the result instead of disappearing
// (coordinated omission). Used by bench scripts and by cluster tests: no globals, everything it
// starts it stops, and it ends by itself within durationMs + timeoutMs.

export type { OpenLoopError, OpenLoopRecord, OpenLoopSummary } from "./open-loop-summary";

export interface OpenLoopOptions {
  target: { host: string; port: number };
  /** Host header (the site's domain when the target is an edge); default host:port. */
  hostHeader?: string;
  path?: string;
  method?: "GET" | "HEAD";
  ratePerSec: number;
  durationMs: number;
  /** Per request, from its send; a request past it is destroyed and recorded as "timeout". */
  timeoutMs?: number;
  /** Requests in flight beyond this are not sent and are recorded as error "overload" (never
   *  delayed: that would close the loop). Default rate x timeout, which the timeout already
   *  bounds, so nothing is shed unless you ask for a lower bound. Also the agent's socket cap. */
  maxInFlight?: number;
  /** Latency the run is compared against for maxAddedOverBaseline; default the run's own p50. */
  baselineMs?: number;
  /** Source address for the connections (to stay inside a test's loopback range). */
  localAddress?: string;
  /** Ends the schedule early; requests in flight still finish (or time out) and are recorded. */
  signal?: AbortSignal;
  /**
   * Retry a GET once, on a fresh connection, when a reused kept-alive connection is reset before
   * any response: what browsers and HTTP clients do (RFC 9112 9.3.1), since the server closed an
   * idle connection (nginx's old workers do on a reload) and never saw the request. Such records
   * keep `retried: true`, and their latency includes the retry. Off by default.
   */
  retryStaleConnection?: boolean;
}

export interface OpenLoopResult {
  /** Epoch ms of the first scheduled send: time zero of a plot; compare with Date.now() events. */
  startedAt: number;
  endedAt: number;
  aborted: boolean;
  ratePerSec: number;
  records: OpenLoopRecord[];
  summary: OpenLoopSummary;
}

/** Epoch ms with sub-millisecond resolution; the same clock in every thread. */
const epochNow = () => performance.timeOrigin + performance.now();

export function classifyError(err: unknown): OpenLoopError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  // "socket hang up" and "aborted" (body cut off) carry ECONNRESET; EPIPE is the same peer close
  // seen from a write.
  if (code === "ECONNRESET" || code === "EPIPE") return "reset";
  if (code === "ECONNREFUSED") return "refused";
  return code ?? "error";
}

export async function runOpenLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const { target, ratePerSec, durationMs, signal } = opts;
  if (!(ratePerSec > 0) || !(durationMs > 0)) throw new Error("runOpenLoop: ratePerSec and durationMs must be > 0");
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const maxInFlight = opts.maxInFlight ?? Math.ceil((ratePerSec * timeoutMs) / 1000) + 16;
  const intervalMs = 1000 / ratePerSec;
  const total = Math.floor((durationMs * ratePerSec) / 1000);
  const headers = { host: opts.hostHeader ?? `${target.host}:${target.port}` };
  // An idle kept-alive socket the server closes just as we reuse it resets a request that the
  // server never saw: a false "reset" in a zero-resets test. After a stall the pool holds many
  // sockets that then sit idle (LIFO reuse), so idle ones are closed from our side first: after
  // 10 s (below nginx's 75 s keepalive_timeout), or 1 s before a server's Keep-Alive timeout
  // hint, which Node only honours when the agent has a timeout of its own. Active requests are
  // unaffected (the agent destroys only free sockets on timeout; our own deadline covers them).
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight, maxFreeSockets: maxInFlight, timeout: 10_000 });
  // A retry after a stale connection goes out on a connection of its own.
  const freshAgent = new http.Agent({ keepAlive: false });

  const records: OpenLoopRecord[] = [];
  const startedAt = epochNow();
  let next = 0;
  let inFlight = 0;
  let scheduling = true;
  let aborted = signal?.aborted ?? false;
  let timer: NodeJS.Timeout | undefined;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const maybeDone = () => {
    if (!scheduling && inFlight === 0) allDone();
  };

  const fire = (scheduledAt: number) => {
    if (inFlight >= maxInFlight) {
      records.push({ scheduledAt, sentAt: null, latencyMs: 0, error: "overload" });
      return;
    }
    inFlight++;
    const sentAt = epochNow();
    let settled = false;
    let retried = false;
    const send = (via: http.Agent) => {
      const req = http.request({
        agent: via,
        host: target.host,
        port: target.port,
        path: opts.path ?? "/",
        method: opts.method ?? "GET",
        headers,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      });
      current = req;
      let responded = false;
      req.on("error", (err) => {
        const error = classifyError(err);
        if (error === "reset" && req.reusedSocket && !responded && !retried && !settled && opts.retryStaleConnection && (opts.method ?? "GET") === "GET") {
          retried = true;
          return send(freshAgent);
        }
        settle({ error });
      });
      req.on("response", (res) => {
        responded = true;
        res.on("error", (err) => settle({ error: classifyError(err) }));
        res.on("end", () => settle({ status: res.statusCode ?? 0 }));
        res.resume();
      });
      req.end();
    };
    let current: http.ClientRequest;
    const settle = (outcome: { status: number } | { error: OpenLoopError }) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      records.push({ scheduledAt, sentAt, latencyMs: epochNow() - scheduledAt, reusedSocket: current.reusedSocket, ...(retried ? { retried: true } : {}), ...outcome });
      inFlight--;
      maybeDone();
    };
    // Settle first, then destroy: whatever errors the destroy raises are ignored as late.
    const deadline = setTimeout(() => {
      settle({ error: "timeout" });
      current.destroy();
    }, timeoutMs);
    send(agent);
  };

  const stopScheduling = () => {
    if (!scheduling) return;
    scheduling = false;
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    maybeDone();
  };
  const onAbort = () => {
    aborted = true;
    stopScheduling();
  };
  signal?.addEventListener("abort", onAbort);

  // Every tick sends all requests that are due (a burst after a stall, each still timed from its
  // own slot), then sleeps until the next slot.
  const tick = () => {
    const now = epochNow();
    while (next < total && startedAt + next * intervalMs <= now) fire(startedAt + next++ * intervalMs);
    if (next >= total) return stopScheduling();
    timer = setTimeout(tick, Math.max(0, startedAt + next * intervalMs - epochNow()));
  };
  if (aborted) stopScheduling();
  else tick();

  try {
    await finished;
  } finally {
    agent.destroy();
    freshAgent.destroy();
  }
  records.sort((a, b) => a.scheduledAt - b.scheduledAt);
  return {
    startedAt,
    endedAt: epochNow(),
    aborted,
    ratePerSec,
    records,
    summary: summarise(records, opts.baselineMs !== undefined ? { baselineMs: opts.baselineMs } : {}),
  };
}

/**
 * The same run in a worker thread, so the caller's own work (a test driving a move, a server in
 * the same process) cannot stall the schedule. The signal is forwarded as a message.
 */
export function runOpenLoopInWorker(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const { signal, ...data } = opts;
  return new Promise<OpenLoopResult>((resolve, reject) => {
    const worker = new Worker(new URL("./open-loop-worker.mjs", import.meta.url), { workerData: data });
    let result: OpenLoopResult | undefined;
    const onAbort = () => worker.postMessage("abort");
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (m: { result?: OpenLoopResult; error?: string }) => {
      if (m.result) result = m.result;
      else if (m.error) reject(new Error(`open-loop worker: ${m.error}`));
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      signal?.removeEventListener("abort", onAbort);
      if (result) resolve(result);
      else reject(new Error(`open-loop worker exited with code ${code} before a result`));
    });
  });
}
