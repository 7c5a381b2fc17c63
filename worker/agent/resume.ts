import { existsSync } from "node:fs";
import { mariadbInitialised, startMariadb } from "./drivers/mariadb";
import { nginxPid, startNginx } from "./drivers/nginx";
import { restoreEgressRules } from "./drivers/egress";
import { phpFpmAccounts, startPhpFpm } from "./drivers/php-fpm";
import { pdnsPaths, startPdns } from "./drivers/pdns";
import type { NodeRoot } from "./node-root";
import { processLogger, toLog } from "../../server/observability/logger";

// A node that comes back (a reboot, or its processes killed) serves again what it was last
// configured for, as systemd units would start it: the masters are started from the configs and
// data on disk, each only if it was set up before and is not running.
//
// Except the front door, at first. While the node was away its sites may have been failed over
// (a higher epoch elsewhere), and its stored route table would send their visitors to its own
// stale copies. So nginx starts only once the control plane has sent the current table (the
// heartbeat sees edge.confirmed false in the metrics and sends it at once), or, if the control
// plane does not answer within `routesTimeoutMs`, with what it has: a node cut off from the
// control plane keeps its sites up, as a netsplit's far side does anyway.

export type Resumed = { awaitingRoutes: () => boolean; routesApplied: () => void };

export async function resumeNode(node: NodeRoot, opts: { routesTimeoutMs?: number; log?: (line: string) => void } = {}): Promise<Resumed> {
  const log = opts.log ?? toLog(processLogger("agent"));
  const attempt = async (what: string, start: () => Promise<void>) => {
    try {
      await start();
      log(`Resumed the node's ${what}.`);
    } catch (e) {
      log(`Could not resume ${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const nginxDown = existsSync(node.nginxConf) && !(await nginxPid(node));
  const mysqlReady = await mariadbInitialised(node);
  // Each account's master, back in its cgroup and namespace, and only once the egress rules are
  // in force again. After a reboot the accounts' groups are gone too: starting a master then fails
  // (nothing runs unconfined) until the first converge makes the groups with their limits.
  void (async () => {
    try {
      await restoreEgressRules(node);
    } catch (e) {
      log(`Could not restore the egress rules, so no site's PHP is started: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    for (const username of await phpFpmAccounts(node)) await attempt(`php-fpm of ${username}`, async () => void (await startPhpFpm(node, username)));
  })();
  if (mysqlReady) void attempt("MariaDB", () => startMariadb(node));
  // DNS answers from the zones on disk at once: unlike the front door, a zone a moment old is
  // harmless (its A records name every node that was healthy, and any node's door serves any site).
  if (existsSync(pdnsPaths(node).conf)) void attempt("pdns_server", () => startPdns(node));

  let waiting = nginxDown;
  const startFrontDoor = (why: string) => {
    if (!waiting) return;
    waiting = false;
    clearTimeout(timer);
    void attempt(`nginx (${why})`, () => startNginx(node));
  };
  const timer = setTimeout(() => startFrontDoor(`no route table from the control plane within ${opts.routesTimeoutMs ?? 15_000} ms: serving the stored one`), opts.routesTimeoutMs ?? 15_000);
  timer.unref();
  if (!nginxDown) clearTimeout(timer);
  else log("The front door was down: it starts once the control plane sends the current route table.");
  return { awaitingRoutes: () => waiting, routesApplied: () => startFrontDoor("the control plane's route table arrived") };
}
