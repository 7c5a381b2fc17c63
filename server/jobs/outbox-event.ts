import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const OUTBOX_EVENT_JOB = "outbox-event";

// Ids only: the worker reads desired state fresh (docs/architecture.md, invariant 2).
export const outboxEventPayload = z.object({
  outboxId: z.string().regex(/^\d+$/),
  topic: z.string().min(1).max(200),
  aggregateType: z.string().min(1).max(100),
  aggregateId: z.string().min(1).max(100),
});
export type OutboxEventPayload = z.infer<typeof outboxEventPayload>;

export const outboxEventOptions: JobsOptions = {
  attempts: 10,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** A re-publish after a crash between add and commit reuses this id, so BullMQ keeps one job. */
export function outboxJobId(outboxId: string): string {
  return `outbox-${outboxId}`;
}
