import type { Prisma } from "../../generated/prisma/client";

/** What the panel shows of a token: never its hash. */
export const apiTokenSelect = {
  id: true,
  name: true,
  prefix: true,
  scopes: true,
  allowedCidrs: true,
  expiresAt: true,
  lastUsedAt: true,
  lastUsedIp: true,
  revokedAt: true,
  createdAt: true,
} satisfies Prisma.ApiTokenSelect;

export type ApiTokenRow = Prisma.ApiTokenGetPayload<{ select: typeof apiTokenSelect }>;
