import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../auth/scope";
import { planWhere } from "../../auth/scope";
import { planSelect, type PlanRow } from "./plan-select";

export async function getPlan(scope: Scope, id: string): Promise<PlanRow> {
  const plan = await db.plan.findFirst({ where: { AND: [{ id }, planWhere(scope)] }, select: planSelect });
  if (!plan) throw AppError.notFound("Plan");
  return plan;
}
