import { z } from "zod";

const count = (min: number, max: number) => z.number().int().min(min).max(max);

/** Sane bounds for every limit; the form shows the same messages next to each field. */
export const planLimitsSchema = z.object({
  maxSites: count(1, 10_000),
  diskMb: count(100, 10_000_000),
  maxDatabases: count(0, 10_000),
  maxMailboxes: count(0, 100_000),
  trafficGbMonth: count(1, 1_000_000),
  copies: count(1, 5),
  snapshotCadenceSec: count(10, 86_400),
  keepAllMinutes: count(0, 1_440),
  keepHourlyDays: count(0, 90),
  keepDailyDays: count(0, 3_650),
});

export const planOutput = planLimitsSchema.extend({
  id: z.string(),
  resellerId: z.string(),
  reseller: z.object({ name: z.string() }),
  name: z.string(),
  generation: z.number().int(),
  createdAt: z.date(),
  archivedAt: z.date().nullable(),
  _count: z.object({ accounts: z.number().int() }),
});

export const planIdInput = z.object({ id: z.string().min(1).max(50) });
