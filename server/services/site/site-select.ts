import type { Prisma } from "../../generated/prisma/client";

export const siteSelect = {
  id: true,
  accountId: true,
  app: true,
  documentRoot: true,
  phpVersion: true,
  status: true,
  appAdminShownAt: true,
  generation: true,
  observedGeneration: true,
  createdAt: true,
  filesBytes: true,
  databaseBytes: true,
  snapshotBytes: true,
  usageAt: true,
  domain: { select: { id: true, name: true, displayName: true } },
  databases: { where: { deletedAt: null }, orderBy: { name: "asc" }, select: { id: true, name: true } },
} satisfies Prisma.SiteSelect;

export type SiteRow = Prisma.SiteGetPayload<{ select: typeof siteSelect }>;
