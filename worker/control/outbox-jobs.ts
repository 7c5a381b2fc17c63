import type { Job } from "bullmq";
import type { Db } from "../../server/db";
import { outboxEventPayload, type OutboxEventPayload, type OutboxTopic } from "../../server/jobs/outbox-event";
import type { ControlDeps } from "./control-deps";
import { handleOutboxEvent } from "./handle-outbox-event";
import { publishZones } from "./publish-zones";
import { runMove } from "./move-site";
import { runRestoreFile } from "./run-restore-file";
import { runRollback } from "./run-rollback";

// The outbox queue's jobs, by topic: a new topic is an entry in OUTBOX_TOPICS and one here (the
// type insists). Most topics name desired state to converge; a rollback, a file restore and a
// move are one-off actions on nodes, run from their outbox row.

export type OutboxHandler = (event: OutboxEventPayload) => Promise<unknown>;

export function outboxHandlers(deps: ControlDeps): Record<OutboxTopic, OutboxHandler> {
  const { db, env, log } = deps;
  const converge: OutboxHandler = (event) => handleOutboxEvent(db, event, (ids) => deps.enqueue(ids), deps.enqueueAll);
  // A domain's zone changed: every node's DNS hears it at once, then every node reconciles.
  const zonesFirst: OutboxHandler = async (event) => {
    await publishZones({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, log });
    return converge(event);
  };
  return {
    "account.reconcile": converge,
    "brand.changed": converge,
    "certificate.changed": converge,
    "database.reconcile": converge,
    "domain.reconcile": zonesFirst,
    "node.changed": converge,
    "node.removed": converge,
    "plan.reconcile": converge,
    "reseller.changed": converge,
    "reseller.suspended": converge,
    "reseller.unsuspended": converge,
    "settings.changed": converge,
    "sftp.changed": converge,
    "site.reconcile": converge,
    "site.rollback": (event) => runRollback({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET }, event.outboxId),
    "site.restoreFile": (event) => runRestoreFile({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET }, event.outboxId),
    "site.move": (event) => runMove({ db, clusterSecret: env.SHOAL_CLUSTER_SECRET, withLeases: deps.withLeases, log }, event.outboxId),
  };
}

/**
 * The outbox worker's processor. A row is handled once its handler has finished (handledAt): until
 * then its job lives only in Redis, and a Redis that comes back empty gets it again
 * (recover-redis-wipe.ts).
 */
export function runOutboxJob(db: Db, handlers: Record<OutboxTopic, OutboxHandler>) {
  return async (job: Job): Promise<unknown> => {
    const event = outboxEventPayload.parse(job.data);
    const result = await handlers[event.topic](event);
    await db.outboxEvent.updateMany({ where: { id: BigInt(event.outboxId), handledAt: null }, data: { handledAt: new Date() } });
    return result;
  };
}
