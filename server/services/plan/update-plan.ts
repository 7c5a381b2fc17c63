import { db } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";
import { planWhere } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { planLimitKeys, type PlanLimits } from "../../domain/plan-limits";
import { planSelect, type PlanRow } from "./plan-select";
import { assertPlanWithinBounds } from "./assert-plan-bounds";

export type UpdatePlanInput = Partial<PlanLimits> & { id: string; name?: string; sftpEnabled?: boolean };

export async function updatePlan(actor: Actor, input: UpdatePlanInput): Promise<PlanRow> {
  const { id, ...changes } = input;
  try {
    return await db.$transaction(async (tx) => {
      const current = await tx.plan.findFirst({ where: { AND: [{ id }, planWhere(actor.scope)] }, select: planSelect });
      if (!current) throw AppError.notFound("Plan");
      const data: Partial<PlanLimits> & { name?: string; sftpEnabled?: boolean } = {};
      const before: Record<string, string | number | boolean> = {};
      for (const key of ["name", "sftpEnabled", ...planLimitKeys] as const) {
        const next = changes[key];
        if (next !== undefined && next !== current[key]) {
          before[key] = current[key];
          (data as Record<string, string | number | boolean>)[key] = next;
        }
      }
      if (Object.keys(data).length === 0) return current;
      // Only the values that change: one left over a bound lowered since stays until it is edited.
      const { name: _name, sftpEnabled: _sftpEnabled, ...changedLimits } = data;
      await assertPlanWithinBounds(tx, changedLimits);
      const plan = await tx.plan.update({
        where: { id },
        data: { ...data, generation: { increment: 1 } },
        select: planSelect,
      });
      await recordChange(tx, actor, {
        action: "plan.update",
        targetType: "Plan",
        targetId: id,
        resellerId: current.resellerId,
        before,
        after: data,
        // Quotas and snapshot cadence are converged on the nodes for every account on this plan.
        outbox: { topic: "plan.reconcile", payload: { planId: id } },
      });
      return plan;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw AppError.field("name", "A plan with this name already exists.", "ALREADY_EXISTS");
    throw e;
  }
}
