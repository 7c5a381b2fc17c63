import { Gauge, type Registry } from "prom-client";
import type { ControlPlaneHealth } from "../domain/control-plane-health";

// The control plane's health checks as Prometheus gauges, read when scraped, in the panel's and
// every control worker's registry: the same facts and verdict as /api/health and the admin banner
// (server/domain/control-plane-health.ts), so an alarm can be set on any of them.

/** The gauges of one scrape share one read (a scrape collects each gauge in turn). */
function oncePerScrape(read: () => Promise<ControlPlaneHealth>): () => Promise<ControlPlaneHealth> {
  let last: { at: number; value: Promise<ControlPlaneHealth> } | null = null;
  return () => {
    if (!last || Date.now() - last.at > 1_000) last = { at: Date.now(), value: read() };
    return last.value;
  };
}

export function registerHealthGauges(registry: Registry, read: () => Promise<ControlPlaneHealth>): void {
  const health = oncePerScrape(read);
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, h: ControlPlaneHealth) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        fill(this, await health());
      },
    });

  gauge("shoal_control_plane_healthy", "1 when every control-plane check passes (as GET /api/health answers 200), else 0.", [], (g, h) => g.set(h.ok ? 1 : 0));
  gauge("shoal_control_plane_check_ok", "Each control-plane check: 1 passing, 0 failing (database, redis, controlWorkers, heartbeat, schedules, queueLag).", ["check"], (g, h) => {
    for (const [check, c] of Object.entries(h.checks)) g.set({ check }, c.ok ? 1 : 0);
  });
  gauge("shoal_control_workers_alive", "Control workers seen in the last 15 s (their ControlWorker rows).", [], (g, h) => g.set(h.checks.controlWorkers.alive));
  gauge("shoal_heartbeat_tick_age_seconds", "Seconds since the last finished heartbeat tick (absent: never).", [], (g, h) => {
    if (h.checks.heartbeat.tickAgeSec !== null) g.set(h.checks.heartbeat.tickAgeSec);
  });
  gauge("shoal_schedule_last_run_age_seconds", "Seconds since each cluster schedule last ran (absent: never).", ["schedule"], (g, h) => {
    for (const [schedule, age] of Object.entries(h.checks.schedules.lastRunSec)) if (age !== null) g.set({ schedule }, age);
  });
  gauge("shoal_schedule_present", "1 when the schedule's job scheduler exists in Redis, 0 when missing (absent: Redis not reachable).", ["schedule"], (g, h) => {
    if (!h.checks.redis.ok) return;
    for (const schedule of Object.keys(h.checks.schedules.lastRunSec)) g.set({ schedule }, h.checks.schedules.missing.includes(schedule) ? 0 : 1);
  });
  gauge("shoal_queue_oldest_waiting_seconds", "Age of the oldest job waiting in each control queue (0: none waiting; absent: Redis not reachable).", ["queue"], (g, h) => {
    if (!h.checks.redis.ok) return;
    for (const [queue, age] of Object.entries(h.checks.queueLag.byQueue)) g.set({ queue }, age ?? 0);
  });
  gauge("shoal_redis_persistent", "1 when Redis keeps its data across a restart (append-only file or snapshots), 0 when not (absent: unknown).", [], (g, h) => {
    const p = h.checks.redis.persistence;
    if (p !== null) g.set(p === "none" ? 0 : 1);
  });
}
