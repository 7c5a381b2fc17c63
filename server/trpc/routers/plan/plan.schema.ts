import { z } from "zod";
import { planLimitBounds, planLimitKeys, type PlanLimitKey } from "../../../domain/plan-limits";

/** Every limit within its bounds (server/domain/plan-limits.ts); the form shows the same bounds. */
export const planLimitsSchema = z.object(
  Object.fromEntries(
    planLimitKeys.map((key) => [key, z.number().int().min(planLimitBounds[key].min).max(planLimitBounds[key].max)]),
  ) as Record<PlanLimitKey, z.ZodNumber>,
);

export const planOutput = planLimitsSchema.extend({
  id: z.string(),
  resellerId: z.string(),
  reseller: z.object({ name: z.string() }),
  name: z.string(),
  sftpEnabled: z.boolean(),
  generation: z.number().int(),
  createdAt: z.date(),
  archivedAt: z.date().nullable(),
  _count: z.object({ accounts: z.number().int() }),
});

export const planIdInput = z.object({ id: z.string().min(1).max(50) });
