import type { Job, Queue } from "bullmq";
import { SCHEDULES, type ScheduleId } from "../../server/jobs/schedules";
import { balanceTick } from "./balance";
import { errorText, type ControlDeps } from "./control-deps";
import { leaseKey, underLease, type LeasedRun } from "./node-lock";
import { reReplicate } from "./re-replicate";
import { takeDueSnapshots } from "./snapshots";
import { sweep } from "./sweep";
import { collectUsage } from "./usage";

// The schedules queue's jobs, by schedule id: adding a schedule is an entry in SCHEDULES and one
// here. A leased job runs once at a time cluster-wide (a tick that finds the lease held is
// skipped: the holder's round does the work); the heartbeat has its own queue (heartbeat-job.ts).

export type ScheduleJob = {
  /** The period, when the environment overrides the schedule's default. */
  every?: number;
  /** Held for the whole run under the schedule's id. */
  lease?: LeasedRun;
  run: () => Promise<unknown>;
};

export type ScheduleJobs = Record<Exclude<ScheduleId, "heartbeat">, ScheduleJob>;

export function scheduleJobs(deps: ControlDeps): ScheduleJobs {
  const { db, env, log } = deps;
  // Said in the log, not thrown: nothing watches failed schedule jobs, and the next round plans afresh.
  const logged = (what: string) => (e: unknown) => log(`${what}: ${errorText(e)}`);
  // The balancer logs an unchanged situation once, not every round; so does re-replication.
  const balancerMemo = {};
  const reReplicateMemo = new Map<string, string>();
  return {
    sweep: { run: () => sweep(db, deps.enqueue) },
    // Two overlapping rounds could each start a move on a node.
    balance: {
      every: env.SHOAL_BALANCE_TICK_MS,
      lease: { ttlMs: 10_000, onError: logged("balancer: round failed") },
      run: () => balanceTick({ db, mode: env.SHOAL_BALANCER, settings: env.SHOAL_BALANCER_SETTINGS, log, memo: balancerMemo }),
    },
    // Two overlapping rounds could each place a replica for the same site.
    rereplicate: {
      lease: { ttlMs: 30_000, onError: logged("re-replication: round failed") },
      run: () =>
        reReplicate({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, withLeases: deps.withLeases, log, afterMs: env.SHOAL_REREPLICATE_AFTER_MS, budget: env.SHOAL_REREPLICATE_BUDGET, memo: reReplicateMemo }),
    },
    usage: {
      every: env.SHOAL_USAGE_TICK_MS,
      lease: { ttlMs: 60_000, onError: logged("usage") },
      run: () => collectUsage(db, env.SHOAL_CLUSTER_SECRET, { log }),
    },
    // Overlapping ticks would take the same sites' snapshots twice.
    snapshots: {
      every: env.SHOAL_SNAPSHOT_TICK_MS,
      lease: { ttlMs: 30_000 },
      run: async () => takeDueSnapshots(db, env.SHOAL_CLUSTER_SECRET, { log, busy: await reconcilesPending(deps) }),
    },
  };
}

/** Whether any reconcile is running or waiting: snapshots then stay out of its way. */
async function reconcilesPending(deps: ControlDeps): Promise<boolean> {
  const counts = await deps.reconcileQueue.getJobCounts("active", "waiting", "prioritized");
  return (counts.active ?? 0) + (counts.waiting ?? 0) + (counts.prioritized ?? 0) > 0;
}

/** The schedules worker's processor: the job's entry, under its lease if it has one. */
export function runScheduleJob(deps: ControlDeps, jobs: ScheduleJobs) {
  return async (job: Job): Promise<unknown> => {
    const entry = (jobs as Partial<Record<string, ScheduleJob>>)[job.name];
    if (!entry) return undefined;
    if (!entry.lease) return entry.run();
    return underLease(deps.lockRedis, leaseKey(deps.prefix, job.name), entry.lease, entry.run);
  };
}

/** Creates or updates each schedule's job scheduler with its period. */
export async function registerSchedules(queue: Queue, jobs: ScheduleJobs): Promise<void> {
  for (const [id, entry] of Object.entries(jobs) as [keyof ScheduleJobs, ScheduleJob][]) {
    await queue.upsertJobScheduler(id, { every: entry.every ?? SCHEDULES[id].every }, { name: id, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }
}
