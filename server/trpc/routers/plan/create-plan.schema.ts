import { z } from "zod";
import { safeText } from "../../../domain/safe-text";
import { planLimitsSchema, planOutput } from "./plan.schema";

export const planNameSchema = safeText(80);

export const createPlanInput = planLimitsSchema.extend({
  name: planNameSchema,
  /** Whether the plan's accounts may use SFTP (on unless the reseller turns it off). */
  sftpEnabled: z.boolean().optional(),
  resellerId: z.string().min(1).max(50).optional(),
});

export const createPlanOutput = planOutput;
