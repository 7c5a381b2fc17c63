import type { AuthState } from "../../auth/auth-state";
import { loadScope } from "../../auth/load-scope";
import { can } from "../../auth/permissions";
import type { Scope } from "../../auth/scope";
import type { Db } from "../../db";
import { db as defaultDb } from "../../db";
import { AppError } from "../../errors";
import { assertClusterViewer, getClusterMap, type ClusterMapView } from "./get-cluster-map";
import { errorFields, panelLogger } from "../../observability/logger";

// Server-sent events for the live cluster map: the map as one JSON `map` event whenever it
// changed, checked every second. The map is read from Postgres like every other page;
// a second is the heartbeat cadence, so polling the database faster would show nothing new.

/** The same rules the tRPC middleware applies for "node.read", for a request outside tRPC. */
export async function clusterViewerScope(auth: AuthState | null, db: Db = defaultDb): Promise<Scope> {
  if (!auth) throw new AppError("UNAUTHENTICATED", "Please sign in.");
  if (auth.needsTwoFactorSetup) throw new AppError("PRECONDITION_FAILED", "Set up two-factor authentication first.");
  if (!can(auth.user.role, "node.read")) throw new AppError("FORBIDDEN", "Not allowed.");
  const scope = await loadScope(db, auth.user);
  assertClusterViewer(scope);
  return scope;
}

export type ClusterStreamOptions = {
  intervalMs?: number;
  /** A comment line keeps proxies from closing an idle stream. */
  keepAliveMs?: number;
  /**
   * The stream ends after this long; EventSource reconnects by itself, and the reconnect runs
   * the session check again, so a signed-out or demoted admin stops receiving within this time.
   */
  maxDurationMs?: number;
  signal?: AbortSignal;
  db?: Db;
  /** For tests: the map builder (defaults to getClusterMap). */
  readMap?: (scope: Scope) => Promise<ClusterMapView>;
};

export function streamClusterMap(scope: Scope, opts: ClusterStreamOptions = {}): ReadableStream<Uint8Array> {
  const intervalMs = opts.intervalMs ?? 1_000;
  const keepAliveMs = opts.keepAliveMs ?? 15_000;
  const maxDurationMs = opts.maxDurationMs ?? 5 * 60_000;
  const readMap = opts.readMap ?? ((s: Scope) => getClusterMap(s, opts.db ?? defaultDb));
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  let lastSent = "";
  let lastWriteAt = 0;
  const startedAt = Date.now();

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const close = () => {
        if (closed) return;
        closed = true;
        if (timer) clearTimeout(timer);
        try {
          controller.close();
        } catch {
          // Already closed by the client going away.
        }
      };
      opts.signal?.addEventListener("abort", close, { once: true });
      // Tell EventSource to reconnect after a second when the stream ends (maxDuration, errors).
      controller.enqueue(encoder.encode("retry: 1000\n\n"));

      const tick = async () => {
        if (closed) return;
        try {
          const map = await readMap(scope);
          if (closed) return;
          // generatedAt changes every time; compare the rest so an idle cluster sends nothing.
          const { generatedAt: _at, ...content } = map;
          const key = JSON.stringify(content);
          if (key !== lastSent) {
            lastSent = key;
            lastWriteAt = Date.now();
            controller.enqueue(encoder.encode(`event: map\ndata: ${JSON.stringify(map)}\n\n`));
          } else if (Date.now() - lastWriteAt >= keepAliveMs) {
            lastWriteAt = Date.now();
            controller.enqueue(encoder.encode(": keep-alive\n\n"));
          }
        } catch (error) {
          // A failed read (database restart) is retried next tick; the page keeps the last map.
          panelLogger().error(errorFields(error), "cluster map stream: read failed");
          controller.enqueue(encoder.encode(`event: stale\ndata: {}\n\n`));
        }
        if (Date.now() - startedAt >= maxDurationMs) return close();
        if (!closed) timer = setTimeout(() => void tick(), intervalMs);
      };
      void tick();
    },
    cancel() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  });
}
