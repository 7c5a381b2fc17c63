import { scrapePanelMetrics } from "@/server/observability/panel-metrics";

// Prometheus scrapes of the panel: loopback callers or the SHOAL_METRICS_TOKEN bearer only.
export const dynamic = "force-dynamic";

export function GET(request: Request): Promise<Response> {
  return scrapePanelMetrics(request.headers);
}
