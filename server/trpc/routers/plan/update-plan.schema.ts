import { z } from "zod";
import { planNameSchema } from "./create-plan.schema";
import { planIdInput, planLimitsSchema, planOutput } from "./plan.schema";

export const updatePlanInput = planIdInput.extend({ name: planNameSchema.optional(), sftpEnabled: z.boolean().optional() }).extend(planLimitsSchema.partial().shape);

export const updatePlanOutput = planOutput;
