import { z } from "zod";

export const idSchema = z.string().min(1).max(50);
/** Every customer-side procedure may name the hosting account; without it, the customer's first. */
export const accountIdSchema = idSchema.optional();

const operationStatus = z.enum(["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]);

export const operationOutput = z.object({
  id: z.string(),
  kind: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  status: operationStatus,
  /** In the customer's words, for every reader (server/domain/operation-errors.ts). */
  lastError: z.string().nullable(),
  /** The full error (commands, nodes, exit codes): a platform admin's only, null for others. */
  errorDetail: z.string().nullable(),
  /** The site's domain, the domain or the database it is about, in lists of a whole account. */
  subject: z.string().nullable().optional(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  steps: z.array(
    z.object({
      index: z.number().int(),
      kind: z.string(),
      target: z.string(),
      status: operationStatus,
      attempts: z.number().int(),
      lastError: z.string().nullable(),
      errorDetail: z.string().nullable(),
      startedAt: z.date().nullable(),
      finishedAt: z.date().nullable(),
    }),
  ),
});

export const operationTargetType = z.enum(["Domain", "Site", "Database"]);

/** A desired-state row is pending until a node reports it has applied the current generation. */
export function isPending(row: { generation: number; observedGeneration: number }): boolean {
  return row.observedGeneration < row.generation;
}

/** What every create/delete returns: the row, and the operation that will apply it. */
export const mutationResultOutput = z.object({ id: z.string(), operationId: z.string() });
