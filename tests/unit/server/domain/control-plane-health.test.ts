import { describe, expect, it } from "vitest";
import { evaluateControlPlane, heartbeatSilenceSec, type HealthFacts } from "../../../../server/domain/control-plane-health";
import { SCHEDULES } from "../../../../server/jobs/schedules";

const now = 1_000_000_000_000;
const allPresent = Object.fromEntries(Object.values(SCHEDULES).map((s) => [s.id, true]));
const freshRuns = Object.values(SCHEDULES).map((s) => ({ id: s.id, lastRunAt: now - 100, everyMs: s.every }));
const healthy: HealthFacts = {
  now,
  database: true,
  redis: true,
  workers: [{ id: "w1", startedAt: now - 600_000, lastSeenAt: now - 1_000, suspectAfterMs: 2_000, redisPersistence: "aof" }],
  scheduleRuns: freshRuns,
  schedulers: allPresent,
  oldestWaitingMs: { outbox: null, reconcile: 200, schedules: null, heartbeat: null },
};

describe("evaluateControlPlane", () => {
  it("all well: ok, no problems, the worker's suspect window", () => {
    const h = evaluateControlPlane(healthy);
    expect(h).toMatchObject({ ok: true, problems: [], suspectAfterMs: 2_000 });
    expect(h.checks.queueLag).toMatchObject({ ok: true, oldestWaitingSec: 0 });
  });

  it("a job waiting over 30 s names its queue", () => {
    const h = evaluateControlPlane({ ...healthy, oldestWaitingMs: { ...healthy.oldestWaitingMs!, reconcile: 45_000 } });
    expect(h.ok).toBe(false);
    expect(h.problems).toEqual(["A job has waited 45 s in the reconcile queue: the control workers are not keeping up."]);
  });

  it("a schedule that never ran is overdue only once a worker has been up long enough to run it", () => {
    const runs = freshRuns.filter((r) => r.id !== "usage");
    const young = evaluateControlPlane({ ...healthy, scheduleRuns: runs, workers: [{ ...healthy.workers[0]!, startedAt: now - 5_000 }] });
    expect(young.ok).toBe(true);
    const old = evaluateControlPlane({ ...healthy, scheduleRuns: runs });
    expect(old.problems).toEqual(["Schedules not running: usage."]);
  });

  it("a dead worker and a stopped heartbeat: both said, the heartbeat not twice", () => {
    const h = evaluateControlPlane({
      ...healthy,
      workers: [{ ...healthy.workers[0]!, lastSeenAt: now - 20_000 }],
      scheduleRuns: freshRuns.map((r) => (r.id === "heartbeat" ? { ...r, lastRunAt: now - 30_000 } : r)),
    });
    expect(h.problems).toEqual(["No control worker is running (the last one was seen 20 s ago).", "No heartbeat tick for 30 s: node failures are not detected and node health shown is out of date."]);
  });
});

describe("heartbeatSilenceSec", () => {
  const at = new Date(now);
  it("past the window: the seconds; within it, DEAD or PENDING: null", () => {
    expect(heartbeatSilenceSec("HEALTHY", new Date(now - 42_500), at, 1_500)).toBe(42);
    expect(heartbeatSilenceSec("DEGRADED", new Date(now - 1_400), at, 1_500)).toBeNull();
    expect(heartbeatSilenceSec("DEAD", new Date(now - 600_000), at, 1_500)).toBeNull();
    expect(heartbeatSilenceSec("PENDING", null, at, 1_500)).toBeNull();
  });
});
