import { db } from "../../db";
import { AppError } from "../../errors";
import { planWhere } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { planSelect, type PlanRow } from "./plan-select";

// Archiving only hides a plan from new accounts; accounts already on it keep it, so nothing for
// the nodes to do and no outbox row.
export async function archivePlan(actor: Actor, id: string): Promise<PlanRow> {
  return db.$transaction(async (tx) => {
    const current = await tx.plan.findFirst({
      where: { AND: [{ id }, planWhere(actor.scope)] },
      select: { id: true, resellerId: true, archivedAt: true },
    });
    if (!current) throw AppError.notFound("Plan");
    if (current.archivedAt) throw new AppError("PRECONDITION_FAILED", "This plan is already archived.");
    const archivedAt = new Date();
    const plan = await tx.plan.update({ where: { id }, data: { archivedAt }, select: planSelect });
    await recordChange(tx, actor, {
      action: "plan.archive",
      targetType: "Plan",
      targetId: id,
      resellerId: current.resellerId,
      before: { archivedAt: null },
      after: { archivedAt: archivedAt.toISOString() },
    });
    return plan;
  });
}
