import { z } from "zod";

/** Without a resellerId: the caller's own brand. */
export const getBrandInput = z.object({ resellerId: z.string().min(1).max(64).nullish() });

export const brandOutput = z.object({
  resellerId: z.string(),
  resellerName: z.string(),
  displayName: z.string(),
  primaryColor: z.string(),
  accentColor: z.string(),
  nameservers: z.array(z.string()),
  supportEmail: z.string().nullable(),
  emailSenderName: z.string().nullable(),
  logo: z.object({ url: z.string(), width: z.number(), height: z.number() }).nullable(),
  generation: z.number(),
  updatedAt: z.date(),
});

export const getBrandOutput = brandOutput;
