import { getAuthState } from "@/server/auth/get-auth-state";
import { AppError, appErrorCodes } from "@/server/errors";
import { clusterViewerScope, streamClusterMap } from "@/server/services/cluster/stream-cluster-map";

// The admin cluster map's live feed (server-sent events). A thin adapter: the session is read the
// way the tRPC context reads it, the service decides who may watch and produces the stream.
export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  let scope;
  try {
    scope = await clusterViewerScope(await getAuthState(req.headers));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return Response.json({ error: { code: error.code, message: error.message } }, { status: appErrorCodes[error.code].http });
  }
  return new Response(streamClusterMap(scope, { signal: req.signal }), {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      connection: "keep-alive",
      // nginx in front of the panel must not buffer the stream.
      "x-accel-buffering": "no",
    },
  });
}
