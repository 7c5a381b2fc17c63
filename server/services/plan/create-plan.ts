import { db } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";
import { resellerWhere } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import type { PlanLimits } from "../../domain/plan-limits";
import { planSelect, type PlanRow } from "./plan-select";
import { assertPlanWithinBounds } from "./assert-plan-bounds";

export type CreatePlanInput = PlanLimits & {
  name: string;
  sftpEnabled?: boolean;
  /** Defaults to the caller's own reseller; an admin must name one. */
  resellerId?: string;
};

export async function createPlan(actor: Actor, input: CreatePlanInput): Promise<PlanRow> {
  const { scope } = actor;
  const { resellerId: requested, ...data } = input;
  const resellerId = requested ?? (scope.kind === "reseller" ? scope.resellerId : undefined);
  if (!resellerId) throw AppError.field("resellerId", "Choose the reseller this plan belongs to.");
  try {
    return await db.$transaction(async (tx) => {
      const reseller = await tx.reseller.findFirst({
        where: { AND: [{ id: resellerId }, resellerWhere(scope)] },
        select: { id: true },
      });
      if (!reseller) throw AppError.field("resellerId", "Reseller not found.", "NOT_FOUND");
      const { name: _name, sftpEnabled: _sftpEnabled, ...limits } = data;
      await assertPlanWithinBounds(tx, limits);
      const plan = await tx.plan.create({ data: { ...data, resellerId: reseller.id }, select: planSelect });
      await recordChange(tx, actor, {
        action: "plan.create",
        targetType: "Plan",
        targetId: plan.id,
        resellerId: reseller.id,
        after: data,
      });
      return plan;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw AppError.field("name", "A plan with this name already exists.", "ALREADY_EXISTS");
    throw e;
  }
}
