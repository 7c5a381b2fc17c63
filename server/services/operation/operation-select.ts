import type { Prisma } from "../../generated/prisma/client";
import type { Scope } from "../../auth/scope";
import { customerOperationError, customerStepError, customerStepTarget } from "../../domain/operation-errors";

// What the browser sees of an operation: progress and errors, never who ran it or its tenancy.
// Errors are chosen by the reader's role (toOperationView): everyone reads them in the customer's
// words; only a platform admin also gets the detail (a command line, a node's name, an exit code),
// and the names of the nodes a step ran on.
export const operationStepSelect = {
  index: true,
  kind: true,
  target: true,
  status: true,
  attempts: true,
  lastError: true,
  customerError: true,
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
  customerError: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  steps: { select: operationStepSelect, orderBy: { index: "asc" } },
} satisfies Prisma.OperationSelect;

export type OperationRow = Prisma.OperationGetPayload<{ select: typeof operationSelect }>;

type StepRow = OperationRow["steps"][number];
type Errors = {
  /** The error in the customer's words, whoever reads it. */
  lastError: string | null;
  /** The full error, for a platform admin; null for everyone else. */
  errorDetail: string | null;
};
export type OperationStepView = Omit<StepRow, "lastError" | "customerError"> & Errors;
export type OperationView = Omit<OperationRow, "lastError" | "customerError" | "steps"> &
  Errors & {
    steps: OperationStepView[];
    /** The name of the site, domain or database it is about, where a list mixes targets. */
    subject?: string | null;
  };

const state = (status: string) => (status === "FAILED" ? "failed" : "retrying");

/** An operation as `scope` may read it. */
export function toOperationView(row: OperationRow, scope: Scope): OperationView {
  const admin = scope.kind === "admin";
  const { lastError, customerError, steps, ...rest } = row;
  return {
    ...rest,
    lastError: lastError === null ? null : (customerError ?? customerOperationError(row.kind, row.targetType, state(row.status))),
    errorDetail: admin ? lastError : null,
    steps: steps.map(({ lastError: stepError, customerError: stepCustomerError, ...step }) => ({
      ...step,
      target: admin ? step.target : customerStepTarget(step.kind, step.target),
      lastError: stepError === null ? null : (stepCustomerError ?? customerStepError(step.kind, row.targetType, state(step.status))),
      errorDetail: admin ? stepError : null,
    })),
  };
}
