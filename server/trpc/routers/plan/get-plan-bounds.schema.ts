import { z } from "zod";
import { planLimitKeys, type PlanLimitKey } from "../../../domain/plan-limits";

export const getPlanBoundsInput = z.void();

const fieldBounds = z.object({ min: z.number().int(), max: z.number().int(), why: z.string().nullable() });

/** What each plan field may be now (the admin's bounds, copies by node count): the form's hints. */
export const getPlanBoundsOutput = z.object({
  fields: z.object(Object.fromEntries(planLimitKeys.map((key) => [key, fieldBounds])) as Record<PlanLimitKey, typeof fieldBounds>),
  copyNodes: z.number().int().min(0),
});
