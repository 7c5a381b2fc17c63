import type { Db, Tx } from "../../db";
import { AppError } from "../../errors";
import { planBoundIssues } from "../../domain/platform-bounds";
import type { PlanLimits } from "../../domain/plan-limits";
import { readPlanBounds } from "../settings/read-platform-settings";

/**
 * Refuses values past the admin's bounds (or more copies than nodes), each message on its field.
 * Called inside the plan's transaction before anything is written, so nothing is half saved.
 */
export async function assertPlanWithinBounds(tx: Db | Tx, values: Partial<PlanLimits>): Promise<void> {
  const { allowed } = await readPlanBounds(tx);
  const issues = planBoundIssues(values, allowed);
  if (issues.length === 0) return;
  const fieldErrors = Object.fromEntries(issues.map((i) => [i.path.join("."), i.message]));
  throw new AppError("BAD_INPUT", issues.length === 1 ? issues[0]!.message : "Some limits are past what the platform allows.", fieldErrors);
}
