import http from "node:http";
import type { Response as EdgeResponse } from "../integration/agent/node-harness";

// A writer for node-loss tests and benches: a PHP page in a WordPress site that adds a row with
// the writer's timestamp to the site's own database (through WordPress's $wpdb, SHORTINIT: a
// query, not a page), called every 100 ms through an edge. After a failover, the newest row
// written before the failure says how much was lost; the failed calls say for how long the site
// was away.

export const tickPhp = `<?php
define('SHORTINIT', true);
require __DIR__ . '/wp-config.php';
header('Cache-Control: no-store');
$wpdb->query('CREATE TABLE IF NOT EXISTS shoal_ticks (id INT AUTO_INCREMENT PRIMARY KEY, at BIGINT NOT NULL)');
if (isset($_GET['before'])) {
  echo (int) $wpdb->get_var($wpdb->prepare('SELECT COALESCE(MAX(at), 0) FROM shoal_ticks WHERE at < %d', (int) $_GET['before']));
} else {
  $at = (int) $_GET['at'];
  $wpdb->insert('shoal_ticks', ['at' => $at]);
  echo $at;
}
`;

/** `at`: when the write was sent (its row's timestamp); `doneAt`: when its answer came. */
export type Write = { at: number; doneAt: number; ok: boolean; status: number | null; body?: string };

/** GET through some edge with the site's Host (node:http: fetch would drop the Host header). */
export type EdgeGet = (path: string) => Promise<EdgeResponse>;

/** Adds a row every `everyMs` through `get` until stopped; every attempt is recorded. */
export function startWriter(get: () => EdgeGet, everyMs = 100) {
  const writes: Write[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      const res = await Promise.race([get()(`/tick.php?at=${at}`).catch(() => null), new Promise<null>((r) => setTimeout(() => r(null), 2_000))]);
      const body = res?.body ?? "";
      const ok = res?.status === 200 && body.trim() === String(at);
      writes.push({ at, doneAt: Date.now(), ok, status: res?.status ?? null, ...(ok ? {} : { body: body.slice(0, 300) }) });
      await new Promise((r) => setTimeout(r, Math.max(0, at + everyMs - Date.now())));
    }
  })();
  const explain = () => {
    const bad = writes.filter((w) => !w.ok);
    return `${writes.length} writes, ${bad.length} failed; last failures: ${JSON.stringify(bad.slice(-3))}`;
  };
  return {
    writes,
    explain,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** The newest row written before `before` that the site's database (wherever it lives now) holds. */
export async function newestRowBefore(get: EdgeGet, before: number): Promise<number> {
  const res = await get(`/tick.php?before=${before}`);
  if (res.status !== 200) throw new Error(`tick.php answered ${res.status}`);
  return Number(res.body);
}

/**
 * After a failure at `since`: when the site took writes again, as the first write answered with
 * success after a failed one (or the first after `since` at all, if none failed: a write that
 * was held through the failover and answered then), the time its answer came (`recoveredAt`),
 * and how many writes failed before it.
 */
export function recovery(writes: readonly Write[], since: number): { recoveredAt: number; failed: number } {
  const after = writes.filter((w) => w.at >= since || w.doneAt >= since);
  const firstOk = after.find((w, i) => w.ok && after.slice(0, i).some((x) => !x.ok)) ?? after.find((w) => w.ok && w.doneAt - since > 0);
  return { recoveredAt: firstOk?.doneAt ?? Number.NaN, failed: after.filter((w) => !w.ok && w.at < (firstOk?.at ?? Infinity)).length };
}

/** A GET through an edge from a chosen source address (a client on one side of a netsplit). */
export function edgeGetFrom(edge: { address: string; port: number }, localAddress: string, host: string): EdgeGet {
  return (urlPath) =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: edge.address, port: edge.port, path: urlPath, headers: { host }, localAddress, agent: false, timeout: 2_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", reject);
    });
}
