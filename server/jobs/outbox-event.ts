import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const OUTBOX_EVENT_JOB = "outbox-event";

/**
 * Every topic a service writes to the outbox (recordChange): what changed, for the control
 * worker's handler table. Most only say which aggregate to converge; the site.* actions are
 * one-off jobs with their own handler.
 */
export const OUTBOX_TOPICS = [
  "account.reconcile",
  "certificate.changed",
  "brand.changed",
  "database.reconcile",
  "domain.reconcile",
  "node.changed",
  "node.removed",
  "plan.reconcile",
  "reseller.changed",
  "reseller.suspended",
  "reseller.unsuspended",
  "settings.changed",
  "sftp.changed",
  "site.reconcile",
  "site.move",
  "site.restoreFile",
  "site.rollback",
] as const;
export const outboxTopic = z.enum(OUTBOX_TOPICS);
export type OutboxTopic = z.infer<typeof outboxTopic>;

// Ids only: the worker reads desired state fresh.
export const outboxEventPayload = z.object({
  outboxId: z.string().regex(/^\d+$/),
  topic: outboxTopic,
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
