import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { readTextIfExists, replaceChecked, writeFileAtomic } from "../agent/config-file";
import { checkNginxConfig, nginxPid, reloadNginxAndWait } from "../agent/drivers/nginx";
import type { NodeRoot } from "../agent/node-root";
import { startHoldService, type HoldCause, type HoldOutcome, type HoldService } from "./hold-service";
import { renderEdgeConf } from "./render-edge";
import { loadRouteTable, saveRouteTable } from "./route-store";
import {
  decide,
  indexByDomain,
  mergeRouteTable,
  parseRouteTable,
  type RouteTable,
} from "./route-table";
import type { RoutesAnswer } from "../../server/contract/route-table";
import { processLogger, toLog, type Log } from "../../server/observability/logger";

// The agent's side of the front door: the route table in memory and on disk, edge.conf rendered
// from it into the node's nginx, and the hold service that parks the requests of paused sites and
// of backends that take no connection. The
// agent's HTTP server calls put() for PUT /v1/routes (under its converge lock, see ../agent/routes/front-door-routes.ts).

export type EdgeOptions = {
  holdTimeoutMs?: number;
  maxHeld?: number;
  /** The edge's log (the agent's logger, component "edge"). */
  log?: Log;
  /** Counts how each request that waited left, and why it waited (the agent's metrics). */
  countHeld?: (outcome: HoldOutcome, cause: HoldCause) => void;
  /** Bench only (hold-service.ts): requests whose backend is unreachable get 502 at once, as before they waited. */
  failUnreachable?: boolean;
};

/** What put() answers: what PUT /v1/routes sends back. */
export type PutRoutesResult = RoutesAnswer;

export type Edge = {
  table(): RouteTable;
  /**
   * Parses (InvalidRoutesError), fences, renders, checks, reloads and persists; then releases.
   * With `reload: false` the caller reloads nginx (and then calls `released()`); `needsReload`
   * says whether it must.
   */
  put(input: unknown, opts?: { reload?: boolean }): Promise<PutRoutesResult & { needsReload: boolean }>;
  /** After a caller's own reload: held requests whose site is no longer paused go on. */
  released(): void;
  hold: HoldService;
  close(): Promise<void>;
};

/**
 * Writes edge.conf for `table` and reloads nginx so it is in force when this returns. Before the
 * node's first converge there is no nginx.conf to check against: the file is only written, and
 * the converge that writes nginx.conf picks it up.
 */
async function installEdgeConf(node: NodeRoot, table: RouteTable, reload: boolean): Promise<boolean> {
  const content = renderEdgeConf(node, table);
  if ((await readTextIfExists(node.edgeConf)) === content) return false;
  if (!existsSync(node.nginxConf)) {
    await mkdir(path.dirname(node.edgeConf), { recursive: true });
    await writeFileAtomic(node.edgeConf, content);
    return false;
  }
  await replaceChecked(node.edgeConf, content, () => checkNginxConfig(node));
  if (!(await nginxPid(node))) return false;
  if (reload) await reloadNginxAndWait(node);
  return true;
}

export async function startEdge(node: NodeRoot, options: EdgeOptions = {}): Promise<Edge> {
  const log = options.log ?? toLog(processLogger("edge"), "warn");
  let table: RouteTable = [];
  let loaded = true;
  try {
    table = await loadRouteTable(node);
  } catch (e) {
    // Refusing to start would leave the node unmanageable; nginx keeps serving the edge.conf it
    // has, and the control plane's next PUT (which always carries the whole table) replaces it.
    loaded = false;
    log(`Ignoring the stored route table: ${e instanceof Error ? e.message : String(e)}`);
  }
  let index = indexByDomain(table);

  const hold = await startHoldService({
    host: node.address,
    port: node.holdPort,
    decide: (host) => decide(index.get(host)),
    timeoutMs: options.holdTimeoutMs,
    maxHeld: options.maxHeld,
    localAddress: node.address,
    // The front door's hop here is bound to the node's address (render-edge.ts, proxy_bind).
    frontDoor: node.address,
    count: options.countHeld,
    failUnreachable: options.failUnreachable,
  });

  // A crash between writing edge.conf and routes.json, or a changed node config (ports), leaves
  // edge.conf out of step with the stored table: the stored table wins.
  if (loaded && existsSync(node.nginxConf)) {
    await installEdgeConf(node, table, true).catch((e: unknown) => {
      log(`Could not re-render ${node.edgeConf}: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  return {
    table: () => table,
    hold,
    async put(input, opts = {}) {
      const reload = opts.reload ?? true;
      const incoming = parseRouteTable(input);
      const merged = mergeRouteTable(table, incoming);
      // nginx first: if it refuses the result, nothing changes, in memory or on disk.
      const changed = await installEdgeConf(node, merged.table, reload);
      // In force in memory before it is on disk: a release sends the held requests on without
      // waiting for two fsyncs. The PUT is answered only once the file is written, so a crash in
      // between loses nothing the control plane believes applied (it sends the table again).
      table = merged.table;
      index = indexByDomain(table);
      if (reload) hold.recheck();
      await saveRouteTable(node, merged.table);
      const refused = merged.stale.length + merged.conflicts.length;
      return { ok: refused === 0, applied: incoming.length - refused, stale: merged.stale, conflicts: merged.conflicts, reloaded: changed && reload, needsReload: changed && !reload };
    },
    released: () => hold.recheck(),
    close: () => hold.close(),
  };
}
