import { z } from "zod";
import { hexColourSchema } from "../../../domain/colour";
import { nameserverListSchema } from "../settings/platform-settings.schema";
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
  // Optional: without its own, a reseller's domains use the platform's default nameservers.
  nameservers: nameserverListSchema("to use the platform's nameservers").default([]),
  supportEmail: optional(emailSchema),
  // Becomes the display name in the From: header of every mail the reseller's customers get.
  emailSenderName: optional(safeText(100)),
});

export const updateBrandOutput = brandOutput;
