import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { clientIp } from "../http/client-ip";
import { env } from "../env";
import { readPanelHealth } from "../services/health/read-panel-health";
import { registerHealthGauges } from "./health-metrics";
import { bearerMatches, isLoopback } from "./metrics-http";

// The panel's Prometheus series, served at GET /metrics (app/metrics/route.ts). One registry per
// process, kept on globalThis: Next may evaluate this module once per bundle (the tRPC route and
// the metrics route), and they must count into the same series.

type PanelMetrics = { registry: Registry; requests: Counter<"path" | "code">; seconds: Histogram<"path"> };

const globalForMetrics = globalThis as unknown as { shoalPanelMetrics?: PanelMetrics };

function create(): PanelMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerHealthGauges(registry, () => readPanelHealth());
  return {
    registry,
    requests: new Counter({
      name: "shoal_panel_requests_total",
      help: "tRPC procedure calls the panel answered, by procedure (site.create, ...) and tRPC code (OK, UNAUTHORIZED, ...).",
      labelNames: ["path", "code"] as const,
      registers: [registry],
    }),
    seconds: new Histogram({
      name: "shoal_panel_request_duration_seconds",
      help: "Time the panel took to answer a tRPC procedure call, by procedure.",
      labelNames: ["path"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export function panelMetrics(): PanelMetrics {
  return (globalForMetrics.shoalPanelMetrics ??= create());
}

/**
 * The answer to a scrape: the series for a caller on this machine's loopback (as client-ip.ts
 * determines the caller, X-Forwarded-For walked past the trusted proxies) or with the bearer
 * token SHOAL_METRICS_TOKEN; 401 for anyone else.
 */
export async function scrapePanelMetrics(headers: Headers, token: string | undefined = env.SHOAL_METRICS_TOKEN): Promise<Response> {
  if (!isLoopback(clientIp(headers)) && !bearerMatches(headers.get("authorization"), token)) {
    return new Response("A loopback caller or a valid bearer token is required.\n", {
      status: 401,
      headers: { "content-type": "text/plain; charset=utf-8", "www-authenticate": 'Bearer realm="shoal-metrics"', "cache-control": "no-store" },
    });
  }
  const { registry } = panelMetrics();
  return new Response(await registry.metrics(), { status: 200, headers: { "content-type": registry.contentType, "cache-control": "no-store" } });
}
