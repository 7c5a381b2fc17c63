import { agentClient } from "./agent-client";
import { errorText, type ControlDeps } from "./control-deps";
import { failOver } from "./failover";
import { collectHeartbeats, type HeartbeatHooks } from "./heartbeat";
import { publishZones } from "./publish-zones";
import { leaseKey, underLease } from "./node-lock";
import { readRouteTable } from "./read-route-table";
import { recordScheduleRun } from "./record-schedule-run";
import { SCHEDULES } from "../../server/jobs/schedules";
import { rejoinNode } from "./rejoin";

// The heartbeat queue's one job: a tick of failure detection, and what its verdicts set off
// (a reconcile, a failover, a rejoin, a route push).

/** The heartbeat worker's processor. */
export function heartbeatJob(deps: ControlDeps): () => Promise<void> {
  const hooks = heartbeatHooks(deps);
  const { env, log } = deps;
  let heldReasons = new Map<string, string>();
  // One tick at a time cluster-wide: a slow tick (a probe waiting out its timeout) must not
  // overlap the next one and write older health over newer.
  return async () => {
    await underLease(deps.lockRedis, leaseKey(deps.prefix, "heartbeat"), { ttlMs: 5_000 }, async () => {
      const tick = await collectHeartbeats(deps.db, env.SHOAL_CLUSTER_SECRET, hooks, {
        detector: { suspectAfterMs: env.SHOAL_SUSPECT_AFTER_MS, holdDownMs: env.SHOAL_HOLD_DOWN_MS, probeMaxAgeMs: Math.max(3_000, env.SHOAL_SUSPECT_AFTER_MS * 2) },
      });
      // Why a silent node is not (yet) declared dead, each time that changes.
      for (const [nodeId, why] of Object.entries(tick.held)) {
        if (heldReasons.get(nodeId) !== why) log(`node ${nodeId} not failed over: ${why}`, { nodeId });
      }
      heldReasons = new Map(Object.entries(tick.held));
      // A finished tick, not a scheduled one: a tick stuck on its lease is a heartbeat that stopped.
      await recordScheduleRun(deps.db, SCHEDULES.heartbeat.id, SCHEDULES.heartbeat.every);
    });
  };
}

function heartbeatHooks(deps: ControlDeps): HeartbeatHooks {
  const { db, env, log } = deps;
  return {
    onRecovered: (nodeId) => deps.enqueue([nodeId], true),
    onDead: failoverRunner(deps),
    onRejoin: async (nodeId) => {
      for (const r of await rejoinNode({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, log }, nodeId)) {
        log(`rejoin: site ${r.siteId} ${r.diverged ? `diverged (${r.summary}), kept as ${r.snapshot}` : "had not diverged"}`, { siteId: r.siteId, nodeId });
      }
    },
    pushRoutes: (nodeId, onlyIfBehind) => pushRoutesTo(deps, nodeId, onlyIfBehind),
    onHealthySetChanged: async () => {
      await publishZones({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, log });
      await deps.enqueueAll();
    },
    log,
  };
}

/**
 * Failover runs beside the heartbeat, not in its tick (a promote takes a second or more, and
 * heartbeats must go on meanwhile); one at a time cluster-wide, and each run re-plans from
 * Postgres, so a run cut short is finished by the next.
 */
function failoverRunner(deps: ControlDeps): (deadNodeIds: string[]) => void {
  const { db, env, log } = deps;
  let running = false;
  const run = async (deadNodeIds: string[]) => {
    if (running || env.SHOAL_FAILOVER === "off") return;
    running = true;
    try {
      await underLease(deps.lockRedis, leaseKey(deps.prefix, "failover"), { ttlMs: 10_000, onError: (e) => log(`failover: ${errorText(e)}`) }, () =>
        failOver({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, withLeases: deps.withLeases, log }, deadNodeIds),
      );
    } catch {
      // Only taking the lease can fail here (Redis away): the next tick tries again.
    } finally {
      running = false;
    }
  };
  return (deadNodeIds) => void run(deadNodeIds);
}

/**
 * The node's edge gets today's routes at once (fenced epochs), long before a DEAD node rejoins; a
 * reconcile would also converge its spec, which must wait for onRejoin.
 */
async function pushRoutesTo(deps: ControlDeps, nodeId: string, onlyIfBehind: boolean): Promise<void> {
  const { db } = deps;
  const [node, state] = await Promise.all([
    db.node.findUniqueOrThrow({ where: { id: nodeId }, select: { id: true, name: true, address: true, agentPort: true, appliedRoutesVersion: true } }),
    db.clusterState.findUnique({ where: { id: 1 }, select: { routesVersion: true } }),
  ]);
  if (onlyIfBehind && node.appliedRoutesVersion >= (state?.routesVersion ?? 0n)) return;
  const table = await readRouteTable(db);
  await agentClient(node, { clusterSecret: deps.env.SHOAL_CLUSTER_SECRET, timeoutMs: 5_000 }).putRoutes({ routes: table.routes });
  await db.node.updateMany({ where: { id: nodeId, appliedRoutesVersion: { lt: table.version } }, data: { appliedRoutesVersion: table.version } });
  deps.log(`node ${node.name}: its edge now has route table ${table.version}${onlyIfBehind ? " (heard again while DEAD)" : " (back from a crash)"}`, { nodeId });
}
