import { z } from "zod";
import { TenantStatus } from "../../../generated/prisma/enums";
import { emailSchema, safeText } from "../../../domain/safe-text";

export const customerNameSchema = safeText(120);
export const customerEmailSchema = emailSchema;
/** Optional on the form: an empty box means "no company". */
export const companySchema = z
  .union([z.literal(""), safeText(120)])
  .nullish()
  .transform((v) => (v ? v : null));

export const customerIdInput = z.object({ id: z.string().min(1).max(50) });

export const customerRowOutput = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  company: z.string().nullable(),
  status: z.enum(TenantStatus),
  createdAt: z.date(),
  reseller: z.object({ id: z.string(), name: z.string() }),
});

export const customerDetailOutput = customerRowOutput.extend({
  updatedAt: z.date(),
  generation: z.number().int(),
  accounts: z.array(
    z.object({
      id: z.string(),
      username: z.string(),
      status: z.enum(TenantStatus),
      createdAt: z.date(),
      deletedAt: z.date().nullable(),
      plan: z.object({ id: z.string(), name: z.string() }),
      nodeUsage: z.array(z.object({ atDiskLimit: z.boolean() })),
    }),
  ),
  users: z.array(z.object({ id: z.string(), email: z.string() })),
});
