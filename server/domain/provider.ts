import { z } from "zod";

const noControlCharacters = (value: string) => !/[\u0000-\u001f\u007f-\u009f]/.test(value);

/**
 * The hosting provider (the reseller) a suspended site's page names, so a visitor sees the brand
 * the customer bought from. Part of the node spec (server/contract/node-spec.ts); HTML-escaped where the
 * agent renders it, bounded and free of control characters here.
 */
export const providerSchema = z.strictObject({
  name: z.string().trim().min(1, "Enter the provider's name.").max(100, "Must be at most 100 characters.").refine(noControlCharacters, "Must not contain control characters."),
  supportEmail: z
    .string()
    .max(254, "Must be at most 254 characters.")
    .regex(/^[A-Za-z0-9._%+-]{1,64}@[a-z0-9.-]+\.[a-z0-9-]{2,63}$/, "Must be an email address such as help@example.com.")
    .nullable(),
});
export type Provider = z.infer<typeof providerSchema>;

/**
 * A brand as the provider of a node spec: what the agent would refuse is left out rather than sent
 * (a support address it cannot take is dropped, a long name shortened), so a brand's details can
 * never hold back its customers' sites.
 */
export function providerFromBrand(brand: { displayName: string; supportEmail: string | null } | null): Provider | null {
  if (!brand) return null;
  const name = brand.displayName.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ").trim().slice(0, 100);
  if (name === "") return null;
  const email = brand.supportEmail?.trim().toLowerCase() ?? null;
  const parsed = providerSchema.safeParse({ name, supportEmail: email });
  return parsed.success ? parsed.data : { name, supportEmail: null };
}
