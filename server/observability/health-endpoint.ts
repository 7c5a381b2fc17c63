import type { ControlPlaneHealth } from "../domain/control-plane-health";
import { clientIp } from "../http/client-ip";
import { env } from "../env";
import { readPanelHealth } from "../services/health/read-panel-health";
import { bearerMatches, isLoopback } from "./metrics-http";

// GET /api/health (app/api/health/route.ts), for monitoring: 200 when the control plane is keeping
// up, 503 when not. Anyone may ask whether it is healthy and which checks fail; the figures
// (worker ids, ages, queue lags, what is wrong in words) are for a caller on this machine's
// loopback or with the SHOAL_METRICS_TOKEN bearer, as /metrics. Nothing about customers is in it.

type PublicHealth = { status: "ok" | "failing"; checks: Record<keyof ControlPlaneHealth["checks"], { ok: boolean }> };

function publicView(h: ControlPlaneHealth): PublicHealth {
  const checks = Object.fromEntries(Object.entries(h.checks).map(([name, c]) => [name, { ok: c.ok }])) as PublicHealth["checks"];
  return { status: h.ok ? "ok" : "failing", checks };
}

export async function answerHealthCheck(
  headers: Headers,
  opts: { token?: string; read?: () => Promise<ControlPlaneHealth> } = {},
): Promise<Response> {
  const health = await (opts.read ?? readPanelHealth)();
  const detailed = isLoopback(clientIp(headers)) || bearerMatches(headers.get("authorization"), "token" in opts ? opts.token : env.SHOAL_METRICS_TOKEN);
  const body = detailed ? { status: health.ok ? "ok" : "failing", ...health } : publicView(health);
  return Response.json(body, { status: health.ok ? 200 : 503, headers: { "cache-control": "no-store" } });
}
