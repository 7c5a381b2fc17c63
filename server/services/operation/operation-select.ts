import type { Prisma } from "../../generated/prisma/client";

// What the browser sees of an operation: progress and errors, never who ran it or its tenancy.
export const operationStepSelect = {
  index: true,
  kind: true,
  target: true,
  status: true,
  attempts: true,
  lastError: true,
  startedAt: true,
  finishedAt: true,
} satisfies Prisma.OperationStepSelect;

export const operationSelect = {
  id: true,
  kind: true,
  targetType: true,
  targetId: true,
  status: true,
  lastError: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  steps: { select: operationStepSelect, orderBy: { index: "asc" } },
} satisfies Prisma.OperationSelect;

export type OperationView = Prisma.OperationGetPayload<{ select: typeof operationSelect }>;
