import { z } from "zod";
import { hostnameSchema } from "../../../domain/hostname";
import { emailSchema, passwordSchema, safeText } from "../../../domain/safe-text";

/** 0..5 panel hostnames; a repeat is an error on the repeated row so the form can point at it. */
export const panelHostnamesSchema = z
  .array(hostnameSchema)
  .max(5, "A reseller can have at most 5 panel hostnames.")
  .superRefine((hostnames, ctx) => {
    const seen = new Set<string>();
    hostnames.forEach((h, i) => {
      if (seen.has(h)) ctx.addIssue({ code: "custom", path: [i], message: `${h} is listed twice.`, input: h });
      seen.add(h);
    });
  });

export const createResellerInput = z.object({
  name: safeText(100),
  displayName: safeText(100),
  hostnames: panelHostnamesSchema,
  login: z.object({
    email: emailSchema,
    name: safeText(120),
    // Empty means "mail a set-password link" (the form sends "" when the box is left blank).
    password: z.union([z.literal("").transform(() => undefined), passwordSchema]).optional(),
  }),
});

export const resellerOutput = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(["ACTIVE", "SUSPENDED", "TERMINATED"]),
  createdAt: z.date(),
  updatedAt: z.date(),
  generation: z.number(),
  parent: z.object({ id: z.string(), name: z.string() }).nullable(),
  hostnames: z.array(z.string()),
  displayName: z.string(),
  subResellerCount: z.number(),
  /** Null in lists (see server/services/reseller/reseller-view.ts). */
  customerCount: z.number().nullable(),
});

export const createResellerOutput = resellerOutput;
