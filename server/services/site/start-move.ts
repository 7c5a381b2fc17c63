import type { Tx } from "../../db";
import { moveStepKinds } from "../../domain/operation-kinds";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { startOperation } from "../operation/start-operation";
import { operationKind, stepKind } from "../../domain/operation-kinds";

export type StartMoveInput = {
  /** The site. */
  id: string;
  toNodeId: string;
  /** Why (the balancer's reasoning, a pin): kept on the audit row. */
  reason?: string;
  /** The live node the caller planned from: a site that moved since is not moved again (CONFLICT). */
  fromNodeId?: string;
};

/**
 * Starts a planned move inside the caller's transaction: the site.move Operation with its steps,
 * the audit row and the outbox event the control worker runs the move from. The one way a move
 * starts, for an admin (site.move), the balancer and pins (worker/control/balance.ts). Takes the
 * transaction rather than the global client so the control worker can call it with its own.
 * One move or rollback of a site at a time; the target must be healthy and not already serve it.
 */
export async function startMove(tx: Tx, actor: Actor, input: StartMoveInput): Promise<{ id: string; operationId: string }> {
  const site = await tx.site.findFirst({
    where: { id: input.id, deletedAt: null, routed: true },
    select: {
      id: true,
      paused: true,
      domain: { select: { name: true } },
      account: { select: { customer: { select: { id: true, resellerId: true } } } },
      placements: { select: { role: true, node: { select: { id: true, name: true } } } },
    },
  });
  if (!site) throw AppError.notFound("Site");
  const target = await tx.node.findFirst({ where: { id: input.toNodeId }, select: { id: true, name: true, status: true } });
  if (!target) throw AppError.field("toNodeId", "Choose one of the cluster's nodes.", "NOT_FOUND");
  const live = site.placements.find((p) => p.role === "PRIMARY");
  if (!live) throw new AppError("PRECONDITION_FAILED", "The site has no live node yet; wait for it to be placed.");
  if (input.fromNodeId && live.node.id !== input.fromNodeId) throw new AppError("CONFLICT", `The site moved to ${live.node.name} since the move was planned.`);
  if (live.node.id === target.id) throw AppError.field("toNodeId", `The site already runs on ${target.name}.`, "PRECONDITION_FAILED");
  if (target.status !== "HEALTHY") throw AppError.field("toNodeId", `${target.name} is ${target.status.toLowerCase()}; move to a healthy node.`, "PRECONDITION_FAILED");
  const busy = await tx.operation.findFirst({
    where: { targetType: "Site", targetId: site.id, kind: { in: [operationKind.siteMove, operationKind.siteRollback] }, status: { in: ["PENDING", "RUNNING"] } },
    select: { kind: true },
  });
  if (busy) throw new AppError("CONFLICT", `A ${busy.kind === operationKind.siteMove ? "move" : "rollback"} of this site is already running.`);
  const op = await startOperation(tx, actor, {
    kind: operationKind.siteMove,
    targetType: "Site",
    targetId: site.id,
    resellerId: site.account.customer.resellerId,
    customerId: site.account.customer.id,
    steps: moveStepKinds.map((kind) => ({ kind, target: kind === stepKind.preCopy || kind === stepKind.startTarget ? target.name : kind === stepKind.sourceBecomesReplica ? live.node.name : site.domain.name })),
  });
  await recordChange(tx, actor, {
    action: "site.move",
    targetType: "Site",
    targetId: site.id,
    resellerId: site.account.customer.resellerId,
    customerId: site.account.customer.id,
    before: { node: live.node.name },
    after: { node: target.name, ...(input.reason ? { reason: input.reason } : {}) },
    outbox: { topic: "site.move", payload: { operationId: op.id, toNodeId: target.id } },
  });
  return { id: site.id, operationId: op.id };
}
