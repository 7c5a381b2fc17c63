import { z } from "zod";
import { hexColourSchema } from "../../../domain/colour";
import { hostnameSchema } from "../../../domain/hostname";
import { emailSchema, safeText } from "../../../domain/safe-text";
import { brandOutput } from "./get-brand.schema";

/** "" from an emptied form field means "not set". */
function optional<T extends z.ZodType>(schema: T) {
  return z.union([z.literal("").transform(() => null), schema]).nullable();
}

export const updateBrandInput = z.object({
  resellerId: z.string().min(1).max(64).nullish(),
  displayName: safeText(100),
  primaryColor: hexColourSchema,
  accentColor: hexColourSchema,
  nameservers: z
    .array(hostnameSchema)
    .min(2, "Enter at least 2 nameservers.")
    .max(6, "Enter at most 6 nameservers.")
    .superRefine((names, ctx) => {
      const seen = new Set<string>();
      names.forEach((n, i) => {
        if (seen.has(n)) ctx.addIssue({ code: "custom", path: [i], message: `${n} is listed twice.`, input: n });
        seen.add(n);
      });
    }),
  supportEmail: optional(emailSchema),
  // Becomes the display name in the From: header of every mail the reseller's customers get.
  emailSenderName: optional(safeText(100)),
});

export const updateBrandOutput = brandOutput;
