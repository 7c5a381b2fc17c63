import { db, type Tx } from "../../db";
import { AppError } from "../../errors";
import { databaseWhere, operationWhere, siteWhere, type Scope } from "../../auth/scope";
import type { Actor } from "../actor";
import { retryRefusal } from "../../domain/operation-retry";
import { recordChange } from "../audit/record-change";

// What a retry announces for each kind of target: the same topic and payload the create/delete
// services write, so the control worker places and reconciles the target as it did the first time.
const reconcileTopics = {
  Site: { topic: "site.reconcile", idKey: "siteId" },
  Database: { topic: "database.reconcile", idKey: "databaseId" },
} as const;

type RetryableTarget = keyof typeof reconcileTopics;

const isRetryable = (targetType: string): targetType is RetryableTarget => targetType in reconcileTopics;

/**
 * A new generation makes every node that holds the target treat it as changed (a spec the node
 * refused is built again rather than skipped). The tenant filter is in the where clause: a target
 * outside the caller's scope updates nothing and reads as not found.
 */
async function bumpGeneration(tx: Tx, scope: Scope, targetType: RetryableTarget, id: string): Promise<number> {
  const data = { generation: { increment: 1 } };
  const res =
    targetType === "Site"
      ? await tx.site.updateMany({ where: { id, ...siteWhere(scope) }, data })
      : await tx.database.updateMany({ where: { id, ...databaseWhere(scope) }, data });
  return res.count;
}

/**
 * A node that could not converge the target holds it (ConvergeHold): the retry lets every node try
 * again, with the hosting account it belongs to (a held account holds its sites and databases).
 * The new generation would release the target's own hold anyway; its account's it would not.
 */
async function releaseHolds(tx: Tx, scope: Scope, targetType: RetryableTarget, id: string): Promise<void> {
  const owner =
    targetType === "Site"
      ? await tx.site.findFirst({ where: { id, ...siteWhere(scope) }, select: { accountId: true } })
      : await tx.database.findFirst({ where: { id, ...databaseWhere(scope) }, select: { accountId: true } });
  if (!owner) return;
  await tx.convergeHold.deleteMany({ where: { objectId: { in: [id, owner.accountId] } } });
}

/**
 * Puts a FAILED operation back in the queue: it and its failed steps return to PENDING with their
 * errors cleared (attempts stay, so the history shows how often a step was tried), the target's
 * generation goes up and its reconcile outbox row is written, audited, in one transaction.
 */
export async function retryOperation(actor: Actor, input: { id: string }): Promise<{ id: string }> {
  return db.$transaction(async (tx) => {
    const op = await tx.operation.findFirst({
      where: { id: input.id, ...operationWhere(actor.scope) },
      select: { id: true, kind: true, status: true, targetType: true, targetId: true, resellerId: true, customerId: true },
    });
    if (!op) throw AppError.notFound("Operation");
    if (op.status !== "FAILED") {
      throw new AppError("PRECONDITION_FAILED", `Only a failed operation can be retried; this one is ${op.status.toLowerCase()}.`);
    }
    const refusal = retryRefusal(op.kind);
    if (refusal) throw new AppError("PRECONDITION_FAILED", `This operation is not retried: ${refusal}`);
    if (!isRetryable(op.targetType)) {
      throw new AppError("PRECONDITION_FAILED", `A ${op.targetType.toLowerCase()} operation cannot be retried.`);
    }
    // The status condition makes this the gate: of two concurrent retries only one finds it FAILED.
    const reset = await tx.operation.updateMany({
      where: { id: op.id, status: "FAILED" },
      data: { status: "PENDING", lastError: null, customerError: null, finishedAt: null },
    });
    if (reset.count === 0) throw new AppError("PRECONDITION_FAILED", "This operation is already being retried.");
    const steps = await tx.operationStep.updateMany({
      where: { operationId: op.id, status: "FAILED" },
      data: { status: "PENDING", lastError: null, customerError: null, startedAt: null, finishedAt: null },
    });
    if ((await bumpGeneration(tx, actor.scope, op.targetType, op.targetId)) === 0) {
      throw AppError.notFound(op.targetType);
    }
    await releaseHolds(tx, actor.scope, op.targetType, op.targetId);
    const { topic, idKey } = reconcileTopics[op.targetType];
    await recordChange(tx, actor, {
      action: "operation.retry",
      targetType: op.targetType,
      targetId: op.targetId,
      resellerId: op.resellerId,
      customerId: op.customerId,
      after: { operationId: op.id, kind: op.kind, stepsReset: steps.count },
      outbox: { topic, payload: { [idKey]: op.targetId, operationId: op.id } },
    });
    return { id: op.id };
  });
}
