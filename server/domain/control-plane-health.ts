import { QUEUES } from "../jobs/queues";
import { SCHEDULES } from "../jobs/schedules";

// Whether the control plane itself is keeping up, from facts read in Postgres and Redis
// (server/services/health/read-control-plane-health.ts): a pure verdict, so /api/health, the admin
// banner and both /metrics say the same thing for the same facts.

/** A control worker not seen for this long is gone (its keeper writes every 5 s at most). */
export const workerAliveMs = 15_000;
/** The heartbeat ticks twice a second: this long without a finished tick, failures go unseen. */
export const heartbeatBehindMs = 5_000;
/** A job waiting this long in a queue means the workers are not keeping up (or none takes it). */
export const queueLagLimitMs = 30_000;
/** The failure detector's default suspect window, when no worker has said its own. */
export const defaultSuspectAfterMs = 1_500;

/** A schedule that has not run for twice its period and ten seconds more has stopped. */
export const scheduleOverdueMs = (everyMs: number) => 2 * everyMs + 10_000;

/** The queues whose oldest waiting job is the lag (node-read is the panel's, answered at once or withdrawn). */
export const lagQueues = [QUEUES.outbox, QUEUES.reconcile, QUEUES.schedules, QUEUES.heartbeat] as const;

export type HealthFacts = {
  now: number;
  /** Postgres answered. When it did not, the worker and schedule facts are unknown (empty). */
  database: boolean;
  /** Redis answered; null facts below when it did not. */
  redis: boolean;
  workers: { id: string; startedAt: number; lastSeenAt: number; suspectAfterMs: number; redisPersistence: string | null }[];
  scheduleRuns: { id: string; lastRunAt: number; everyMs: number }[];
  /** Which schedules' job schedulers exist in Redis; null when Redis could not be asked. */
  schedulers: Record<string, boolean> | null;
  /** Each queue's oldest waiting job's age (null: none waiting); null when Redis could not be asked. */
  oldestWaitingMs: Record<string, number | null> | null;
};

export type ControlPlaneHealth = {
  ok: boolean;
  checkedAt: string;
  /** The window after which a node's silence means its health is unknown. */
  suspectAfterMs: number;
  checks: {
    database: { ok: boolean };
    redis: { ok: boolean; persistence: string | null };
    controlWorkers: { ok: boolean; alive: number; lastSeenSec: number | null; workers: { id: string; lastSeenSec: number }[] };
    heartbeat: { ok: boolean; tickAgeSec: number | null };
    schedules: { ok: boolean; missing: string[]; overdue: string[]; lastRunSec: Record<string, number | null> };
    queueLag: { ok: boolean; oldestWaitingSec: number | null; byQueue: Record<string, number | null> };
  };
  /** What is wrong, in an operator's words, most urgent first; empty when ok. */
  problems: string[];
};

const sec = (ms: number) => Math.max(0, Math.floor(ms / 1000));

export function evaluateControlPlane(f: HealthFacts): ControlPlaneHealth {
  const problems: string[] = [];
  const ids = Object.values(SCHEDULES).map((s) => s.id as string);
  const defaultEvery = new Map<string, number>(Object.values(SCHEDULES).map((s) => [s.id, s.every]));

  const alive = f.workers.filter((w) => f.now - w.lastSeenAt <= workerAliveMs);
  const newest = f.workers.reduce<number | null>((m, w) => (m === null || w.lastSeenAt > m ? w.lastSeenAt : m), null);
  const newestWorker = f.workers.find((w) => w.lastSeenAt === newest);
  const suspectAfterMs = newestWorker?.suspectAfterMs ?? defaultSuspectAfterMs;
  // Persistence as the most recently seen worker found it; unknown when none could tell.
  const persistence = newestWorker?.redisPersistence ?? null;

  const runs = new Map(f.scheduleRuns.map((r) => [r.id, r]));
  const lastRunSec: Record<string, number | null> = {};
  for (const id of ids) {
    const r = runs.get(id);
    lastRunSec[id] = r ? sec(f.now - r.lastRunAt) : null;
  }
  const beat = runs.get(SCHEDULES.heartbeat.id);
  const tickAgeMs = beat ? f.now - beat.lastRunAt : null;
  // A schedule that never ran is overdue once a worker has been up long enough to have run it.
  const upSince = alive.reduce<number | null>((m, w) => (m === null || w.startedAt < m ? w.startedAt : m), null);
  const overdue = ids.filter((id) => {
    const r = runs.get(id);
    if (r) return f.now - r.lastRunAt > scheduleOverdueMs(r.everyMs);
    return upSince === null || f.now - upSince > scheduleOverdueMs(defaultEvery.get(id)!);
  });
  const missing = f.schedulers ? ids.filter((id) => !f.schedulers![id]) : [];

  const byQueue: Record<string, number | null> = {};
  for (const q of lagQueues) {
    const ms = f.oldestWaitingMs?.[q] ?? null;
    byQueue[q] = ms === null ? null : sec(ms);
  }
  const lagMs = f.oldestWaitingMs ? Math.max(-1, ...lagQueues.map((q) => f.oldestWaitingMs![q] ?? -1)) : -1;
  const laggingQueue = lagQueues.find((q) => (f.oldestWaitingMs?.[q] ?? -1) === lagMs);

  const checks: ControlPlaneHealth["checks"] = {
    database: { ok: f.database },
    redis: { ok: f.redis, persistence },
    controlWorkers: {
      ok: f.database && alive.length > 0,
      alive: alive.length,
      lastSeenSec: newest === null ? null : sec(f.now - newest),
      workers: f.workers.map((w) => ({ id: w.id, lastSeenSec: sec(f.now - w.lastSeenAt) })),
    },
    heartbeat: { ok: f.database && tickAgeMs !== null && tickAgeMs <= heartbeatBehindMs, tickAgeSec: tickAgeMs === null ? null : sec(tickAgeMs) },
    schedules: { ok: f.database && f.redis && missing.length === 0 && overdue.length === 0, missing, overdue, lastRunSec },
    queueLag: { ok: f.redis && lagMs <= queueLagLimitMs, oldestWaitingSec: lagMs < 0 ? null : sec(lagMs), byQueue },
  };

  if (!f.database) problems.push("The database cannot be reached: the panel and the control workers cannot work.");
  if (!f.redis) problems.push("Redis cannot be reached: no job runs (heartbeats, failovers, changes to sites).");
  if (f.database && !checks.controlWorkers.ok) {
    problems.push(newest === null ? "No control worker has ever reported in." : `No control worker is running (the last one was seen ${sec(f.now - newest)} s ago).`);
  }
  if (f.database && !checks.heartbeat.ok) {
    problems.push(
      tickAgeMs === null
        ? "The heartbeat has never ticked: node failures are not detected."
        : `No heartbeat tick for ${sec(tickAgeMs)} s: node failures are not detected and node health shown is out of date.`,
    );
  }
  if (missing.length > 0) problems.push(`Schedules missing in Redis: ${missing.join(", ")}.`);
  const stalled = overdue.filter((id) => !missing.includes(id) && (id !== SCHEDULES.heartbeat.id || checks.heartbeat.ok));
  if (f.database && stalled.length > 0) problems.push(`Schedules not running: ${stalled.join(", ")}.`);
  if (f.redis && !checks.queueLag.ok && laggingQueue) problems.push(`A job has waited ${sec(lagMs)} s in the ${laggingQueue} queue: the control workers are not keeping up.`);

  return { ok: problems.length === 0, checkedAt: new Date(f.now).toISOString(), suspectAfterMs, checks, problems };
}

/**
 * How long a node has been silent beyond the suspect window, in seconds, when its status would
 * otherwise claim a health nobody has observed (HEALTHY, DEGRADED, DRAINING); null when its
 * heartbeat is fresh, or it is DEAD or PENDING (which say so themselves).
 */
export function heartbeatSilenceSec(status: string, lastHeartbeatAt: Date | null, now: Date, suspectAfterMs: number): number | null {
  if (status === "DEAD" || status === "PENDING") return null;
  if (!lastHeartbeatAt) return null;
  const age = now.getTime() - lastHeartbeatAt.getTime();
  return age > suspectAfterMs ? sec(age) : null;
}
