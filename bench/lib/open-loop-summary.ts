// Pure summary math for open-loop runs, kept apart from the network code so unit tests can feed it
// hand-made records.

/** How a request failed below HTTP: "reset" (ECONNRESET, EPIPE, socket hang up), "timeout" (our
 *  own deadline), "refused" (ECONNREFUSED), "overload" (not sent: maxInFlight reached), else the
 *  error's code. */
export type OpenLoopError = "reset" | "timeout" | "refused" | "overload" | (string & {});

export interface OpenLoopRecord {
  /** Epoch ms (fractional) when the schedule said this request goes out. */
  scheduledAt: number;
  /** Epoch ms when it was actually handed to node:http (null if it was never sent). */
  sentAt: number | null;
  /** From scheduledAt, not sentAt, so a late send counts against the server's latency (no
   *  coordinated omission). Time to the end of the body, or to the error. */
  latencyMs: number;
  /** HTTP status, absent when the request failed below HTTP. */
  status?: number;
  error?: OpenLoopError;
  /** The request went out on a kept-alive socket: a reset on a reused socket can be the client's
   *  stale-socket race rather than the server's doing, which is worth knowing when one shows up. */
  reusedSocket?: boolean;
  /** A reused connection was reset before any response and the GET went again on a fresh one. */
  retried?: boolean;
}

export interface OpenLoopSummary {
  /** Scheduled requests (sent or, with error "overload", shed). */
  scheduled: number;
  sent: number;
  ok2xx: number;
  non2xx: number;
  resets: number;
  timeouts: number;
  refused: number;
  /** Every failure below HTTP (resets + timeouts + refused + overload + other codes). */
  errors: number;
  /** non2xx + errors: what a "zero failed requests" assertion checks. */
  failed: number;
  /** Latency percentiles (nearest rank) over requests that got an HTTP response, any status. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** max - baseline, when a baseline is known (given, or the p50 of responses). */
  maxAddedOverBaseline?: number;
  baselineMs?: number;
  /** Actual sends per second between the first and the last send: the asked rate if the client kept up. */
  achievedRatePerSec: number;
  /** How late sends left against their schedule (event-loop lag of the load generator). */
  sendLagP50: number;
  sendLagP99: number;
  sendLagMax: number;
}

/** Nearest-rank percentile (the smallest value with at least q of the values at or below it).
 *  Sorted input required; NaN for an empty list so a missing figure never reads as 0 ms. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function isFailure(r: OpenLoopRecord): boolean {
  return r.error !== undefined || r.status === undefined || r.status < 200 || r.status > 299;
}

export function summarise(records: readonly OpenLoopRecord[], opts: { baselineMs?: number } = {}): OpenLoopSummary {
  let ok2xx = 0, non2xx = 0, resets = 0, timeouts = 0, refused = 0, errors = 0, sent = 0;
  const latencies: number[] = [];
  const lags: number[] = [];
  let firstSent = Number.POSITIVE_INFINITY, lastSent = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    if (r.sentAt !== null) {
      sent++;
      firstSent = Math.min(firstSent, r.sentAt);
      lastSent = Math.max(lastSent, r.sentAt);
      lags.push(r.sentAt - r.scheduledAt);
    }
    if (r.error !== undefined) {
      errors++;
      if (r.error === "reset") resets++;
      else if (r.error === "timeout") timeouts++;
      else if (r.error === "refused") refused++;
      continue;
    }
    if (r.status === undefined) {
      errors++;
      continue;
    }
    latencies.push(r.latencyMs);
    if (r.status >= 200 && r.status <= 299) ok2xx++;
    else non2xx++;
  }
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const p50 = percentile(latencies, 0.5);
  const max = latencies.length ? latencies[latencies.length - 1]! : Number.NaN;
  const baselineMs = opts.baselineMs ?? (latencies.length ? p50 : undefined);
  // n sends span (n-1) intervals: rate = (n-1)/span, exactly the asked rate for a perfect schedule.
  const span = (lastSent - firstSent) / 1000;
  const achievedRatePerSec = sent > 1 && span > 0 ? (sent - 1) / span : Number.NaN;
  return {
    scheduled: records.length,
    sent,
    ok2xx,
    non2xx,
    resets,
    timeouts,
    refused,
    errors,
    failed: non2xx + errors,
    p50,
    p90: percentile(latencies, 0.9),
    p99: percentile(latencies, 0.99),
    max,
    ...(baselineMs !== undefined ? { baselineMs, maxAddedOverBaseline: max - baselineMs } : {}),
    achievedRatePerSec,
    sendLagP50: percentile(lags, 0.5),
    sendLagP99: percentile(lags, 0.99),
    sendLagMax: lags.length ? lags[lags.length - 1]! : Number.NaN,
  };
}

/** One line for a log or a plot caption. */
export function formatSummary(s: OpenLoopSummary): string {
  const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "-" : `${v.toFixed(1)} ms`);
  const parts = [
    `sent ${s.sent}/${s.scheduled} (${Number.isNaN(s.achievedRatePerSec) ? "-" : s.achievedRatePerSec.toFixed(1)}/s)`,
    `2xx ${s.ok2xx}`,
    `non-2xx ${s.non2xx}`,
    `resets ${s.resets}`,
    `timeouts ${s.timeouts}`,
    `refused ${s.refused}`,
    `other errors ${s.errors - s.resets - s.timeouts - s.refused}`,
    `p50 ${ms(s.p50)}`,
    `p90 ${ms(s.p90)}`,
    `p99 ${ms(s.p99)}`,
    `max ${ms(s.max)}`,
  ];
  if (s.maxAddedOverBaseline !== undefined) parts.push(`max added ${ms(s.maxAddedOverBaseline)}`);
  parts.push(`send lag p99 ${ms(s.sendLagP99)} max ${ms(s.sendLagMax)}`);
  return parts.join(", ");
}
