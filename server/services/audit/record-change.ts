import type { Prisma } from "../../generated/prisma/client";
import type { Tx } from "../../db";
import type { Actor } from "../actor";
import type { OutboxTopic } from "../../jobs/outbox-event";

export type Change = {
  /** Verb-like name: "customer.create", "domain.delete", "reseller.suspend". */
  action: string;
  targetType: string;
  targetId: string;
  /** The reseller whose tree this belongs to, and the customer when there is one. */
  resellerId: string;
  customerId?: string | null;
  /** Short summaries (never secrets): what changed, for people reading the audit log. */
  before?: Prisma.InputJsonValue | null;
  after?: Prisma.InputJsonValue | null;
  /** Desired state that a worker must converge gets an outbox row; pure panel state does not. */
  outbox?: { topic: OutboxTopic; payload?: Prisma.InputJsonValue };
};

// Invariant 1 (docs/architecture.md): the caller runs this inside the same $transaction as the
// desired-state write, so the change, its audit entry and its outbox row commit together or not at
// all.
export async function recordChange(tx: Tx, actor: Actor, change: Change): Promise<void> {
  await tx.auditEvent.create({
    data: {
      resellerId: change.resellerId,
      customerId: change.customerId ?? null,
      actorId: actor.userId,
      actorEmail: actor.email,
      impersonatorId: actor.impersonatorId,
      apiTokenId: actor.apiTokenId ?? null,
      action: change.action,
      targetType: change.targetType,
      targetId: change.targetId,
      before: change.before ?? undefined,
      after: change.after ?? undefined,
      ip: actor.ip,
    },
  });
  if (change.outbox) {
    await tx.outboxEvent.create({
      data: {
        topic: change.outbox.topic,
        aggregateType: change.targetType,
        aggregateId: change.targetId,
        payload: change.outbox.payload ?? {},
      },
    });
    // Delivered on commit, so the relay wakes only for rows it can see.
    await tx.$executeRaw`SELECT pg_notify('shoal_outbox', '')`;
  }
}
