import type { Prisma } from "../../generated/prisma/client";

/** What a plan looks like to the browser: its limits, its owner's name and how many live accounts use it. */
export const planSelect = {
  id: true,
  resellerId: true,
  reseller: { select: { name: true } },
  name: true,
  maxSites: true,
  diskMb: true,
  maxDatabases: true,
  maxMailboxes: true,
  trafficGbMonth: true,
  copies: true,
  snapshotCadenceSec: true,
  keepAllMinutes: true,
  keepHourlyDays: true,
  keepDailyDays: true,
  cpuPercent: true,
  memoryMb: true,
  pids: true,
  ioWeight: true,
  sftpEnabled: true,
  generation: true,
  createdAt: true,
  archivedAt: true,
  _count: { select: { accounts: { where: { deletedAt: null } } } },
} satisfies Prisma.PlanSelect;

export type PlanRow = Prisma.PlanGetPayload<{ select: typeof planSelect }>;
