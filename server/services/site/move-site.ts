import { db } from "../../db";
import { moveStepKinds } from "../../domain/move-steps";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { startOperation } from "../operation/start-operation";


/**
 * An admin moves a site to another node (the balancer and the cluster map use the same call).
 * Requests are held at the edges during the switch, not failed. One move or rollback of a site
 * at a time; the target must be healthy and not already serve it.
 */
export async function moveSite(actor: Actor, input: { id: string; toNodeId: string; reason?: string }): Promise<{ id: string; operationId: string }> {
  if (actor.scope.kind !== "admin") throw AppError.notFound("Site");
  return db.$transaction(async (tx) => {
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
    if (live.node.id === target.id) throw AppError.field("toNodeId", `The site already runs on ${target.name}.`, "PRECONDITION_FAILED");
    if (target.status !== "HEALTHY") throw AppError.field("toNodeId", `${target.name} is ${target.status.toLowerCase()}; move to a healthy node.`, "PRECONDITION_FAILED");
    const busy = await tx.operation.findFirst({
      where: { targetType: "Site", targetId: site.id, kind: { in: ["site.move", "site.rollback"] }, status: { in: ["PENDING", "RUNNING"] } },
      select: { kind: true },
    });
    if (busy) throw new AppError("CONFLICT", `A ${busy.kind === "site.move" ? "move" : "rollback"} of this site is already running.`);
    const op = await startOperation(tx, actor, {
      kind: "site.move",
      targetType: "Site",
      targetId: site.id,
      resellerId: site.account.customer.resellerId,
      customerId: site.account.customer.id,
      steps: moveStepKinds.map((kind) => ({ kind, target: kind === "pre-copy" || kind === "start-target" ? target.name : kind === "source becomes replica" ? live.node.name : site.domain.name })),
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
  });
}
