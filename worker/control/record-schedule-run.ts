import type { Db } from "../../server/db";

/**
 * Stamps the schedule's ScheduleRun row: it ticked now. What /api/health and the admin banner
 * read to tell a control plane that has stopped ticking (from Postgres, whatever became of Redis).
 */
export async function recordScheduleRun(db: Db, id: string, everyMs: number, at = new Date()): Promise<void> {
  await db.scheduleRun.upsert({ where: { id }, create: { id, lastRunAt: at, everyMs }, update: { lastRunAt: at, everyMs } });
}
