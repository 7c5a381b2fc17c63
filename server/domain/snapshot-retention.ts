// Which of a site's snapshots to keep under its plan's retention policy (Plan.keepAllMinutes,
// keepHourlyDays, keepDailyDays): every snapshot of the last N minutes, then one per hour, then
// one per day, then none, except that the newest snapshot is always kept (a site whose cadence
// stopped keeps its last point in time) and pinned ones (a netsplit's divergent copy the
// customer has not dealt with yet) are never deleted here.
//
// Pure: the retention job lists the snapshots, calls this, and deletes what it says. The choice is
// stable as time passes: in each hour (or day) the OLDEST snapshot is the one kept, and an older
// snapshot can never appear later, so a snapshot chosen once stays chosen until its bucket leaves
// the window; deleting what this returns and asking again deletes nothing more (idempotent).
// Buckets are UTC hours and days, and a bucket is inside a window when it starts within it, so a
// bucket is never half in.

export type RetentionPolicy = { keepAllMinutes: number; keepHourlyDays: number; keepDailyDays: number };

export const defaultRetentionPolicy: RetentionPolicy = { keepAllMinutes: 60, keepHourlyDays: 7, keepDailyDays: 30 };

export type RetainedSnapshot = { name: string; takenAt: Date; pinned?: boolean };

export type RetentionReason = "newest" | "pinned" | "recent" | "hourly" | "daily";

export type RetentionDecision = {
  /** Newest first. */
  keep: { name: string; reason: RetentionReason }[];
  /** Newest first. */
  delete: string[];
};

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;

const bucketStart = (t: number, size: number) => Math.floor(t / size) * size;

export function decideRetention(snapshots: readonly RetainedSnapshot[], now: Date, policy: RetentionPolicy = defaultRetentionPolicy): RetentionDecision {
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`Retention policy ${key} must be a whole number ≥ 0, not ${value}.`);
  }
  const names = new Set<string>();
  for (const s of snapshots) {
    if (names.has(s.name)) throw new Error(`Snapshot ${s.name} is listed twice.`);
    if (Number.isNaN(s.takenAt.getTime())) throw new Error(`Snapshot ${s.name} has no valid time.`);
    names.add(s.name);
  }
  const nowMs = now.getTime();
  // Newest first; equal times by name, so the result never depends on the input's order.
  const sorted = [...snapshots].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  const hourlyFrom = nowMs - policy.keepHourlyDays * dayMs;
  const dailyFrom = nowMs - policy.keepDailyDays * dayMs;
  // The oldest snapshot of every bucket (ties: the smallest name).
  const oldestIn = (size: number) => {
    const chosen = new Map<number, RetainedSnapshot>();
    for (const s of sorted) chosen.set(bucketStart(s.takenAt.getTime(), size), s);
    return new Set([...chosen.values()].map((s) => s.name));
  };
  const firstOfHour = oldestIn(hourMs);
  const firstOfDay = oldestIn(dayMs);

  const decision: RetentionDecision = { keep: [], delete: [] };
  for (const [i, s] of sorted.entries()) {
    const t = s.takenAt.getTime();
    let reason: RetentionReason | null = null;
    if (i === 0) reason = "newest";
    else if (s.pinned) reason = "pinned";
    else if (nowMs - t <= policy.keepAllMinutes * minuteMs) reason = "recent";
    else if (firstOfHour.has(s.name) && bucketStart(t, hourMs) >= hourlyFrom && policy.keepHourlyDays > 0) reason = "hourly";
    else if (firstOfDay.has(s.name) && bucketStart(t, dayMs) >= dailyFrom && policy.keepDailyDays > 0) reason = "daily";
    if (reason) decision.keep.push({ name: s.name, reason });
    else decision.delete.push(s.name);
  }
  return decision;
}
