import type { Job, Queue } from "bullmq";
import { SCHEDULES, type ScheduleId } from "../../server/jobs/schedules";
import { readFileSync } from "node:fs";
import https from "node:https";
import * as acme from "acme-client";
import { ensureCertificateRows } from "./acme/ensure-certificate-rows";
import { orderDueCertificates } from "./acme/renew-certificates";
import { balanceTick } from "./balance";
import { errorText, type ControlDeps } from "./control-deps";
import { leaseKey, underLease, type LeasedRun } from "./node-lock";
import { reReplicate } from "./re-replicate";
import { takeDueSnapshots } from "./snapshots";
import { sweep } from "./sweep";
import { recordScheduleRun } from "./record-schedule-run";
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
    // Two overlapping rounds could order the same certificate twice.
    certificates: {
      lease: { ttlMs: 120_000, onError: logged("certificates: round failed") },
      run: async () => {
        await ensureCertificateRows(db);
        const directoryUrl = env.SHOAL_ACME_DIRECTORY_URL;
        if (!directoryUrl) return;
        // acme-client has one HTTP client per process: it trusts the ACME server's CA from here on.
        if (env.SHOAL_ACME_CA_FILE && !acme.axios.defaults.httpsAgent) acme.axios.defaults.httpsAgent = new https.Agent({ ca: readFileSync(env.SHOAL_ACME_CA_FILE, "utf8") });
        await orderDueCertificates({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, directoryUrl, dnsServer: env.SHOAL_ACME_DNS_SERVER, publish: deps.enqueueAll, log });
      },
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

/** The schedules worker's processor: the job's entry, under its lease if it has one; each run is recorded (ScheduleRun). */
export function runScheduleJob(deps: ControlDeps, jobs: ScheduleJobs) {
  return async (job: Job): Promise<unknown> => {
    const entry = (jobs as Partial<Record<string, ScheduleJob>>)[job.name];
    if (!entry) return undefined;
    await recordScheduleRun(deps.db, job.name, scheduleEvery(job.name as keyof ScheduleJobs, entry));
    if (!entry.lease) return entry.run();
    return underLease(deps.lockRedis, leaseKey(deps.prefix, job.name), entry.lease, entry.run);
  };
}

const scheduleEvery = (id: keyof ScheduleJobs, entry: ScheduleJob) => entry.every ?? SCHEDULES[id].every;

export type ScheduleQueues = { schedules: Queue; heartbeat: Queue };

/** Every cluster schedule with the queue it runs on and its period. */
export function scheduleSpecs(queues: ScheduleQueues, jobs: ScheduleJobs): { id: ScheduleId; queue: Queue; every: number }[] {
  return [
    { id: SCHEDULES.heartbeat.id, queue: queues.heartbeat, every: SCHEDULES.heartbeat.every },
    ...(Object.entries(jobs) as [keyof ScheduleJobs, ScheduleJob][]).map(([id, entry]) => ({ id, queue: queues.schedules, every: scheduleEvery(id, entry) })),
  ];
}

/**
 * Makes sure each schedule's job scheduler exists in Redis with its period and is ticking;
 * returns the ids it (re)created. Cheap when all is well (one read per schedule): a scheduler is
 * written only when it is missing (Redis restarted empty), has another period, or its next run
 * is long overdue (its next job was lost). Idempotent, and safe from several workers at once:
 * BullMQ names a scheduler's next job after the scheduler and its time.
 */
export async function ensureSchedules(queues: ScheduleQueues, jobs: ScheduleJobs, now = Date.now()): Promise<ScheduleId[]> {
  const created: ScheduleId[] = [];
  for (const { id, queue, every } of scheduleSpecs(queues, jobs)) {
    const current = await queue.getJobScheduler(id);
    const overdue = current?.next !== undefined && current.next < now - Math.max(3 * every, 10_000);
    if (current && Number(current.every) === every && !overdue) continue;
    await queue.upsertJobScheduler(id, { every }, { name: id, opts: { removeOnComplete: true, removeOnFail: 100 } });
    created.push(id);
  }
  return created;
}
