import { answerHealthCheck } from "@/server/observability/health-endpoint";

// Monitoring's poll: 200 when the control plane keeps up, 503 when not; no login (figures only
// for loopback or the metrics token: server/observability/health-endpoint.ts).
export const dynamic = "force-dynamic";

export function GET(request: Request): Promise<Response> {
  return answerHealthCheck(request.headers);
}
