import { z } from "zod";
import { egressSpecSchema } from "../../../contract/node-spec";
import { hostnameSchema } from "../../../domain/hostname";
import { platformBoundKeys, platformBoundRange, type PlatformBoundKey } from "../../../domain/platform-bounds";

/** Each bound within what its plan field may be at all (server/domain/plan-limits.ts). */
export const platformBoundsSchema = z.object(
  Object.fromEntries(
    platformBoundKeys.map((key) => {
      const { min, max } = platformBoundRange(key);
      return [key, z.number().int().min(min).max(max)];
    }),
  ) as Record<PlatformBoundKey, z.ZodNumber>,
);

/** The admin's extra egress destinations: exactly what the node spec's egress.allow takes. */
export const egressAllowSchema = egressSpecSchema.shape.allow;

export const platformSettingsOutput = z.object({
  bounds: platformBoundsSchema,
  egressAllow: egressAllowSchema,
  /** Nodes that can hold a copy of a site: the most copies a plan may ask for. */
  copyNodes: z.number().int().min(0),
  /** Plans (not archived) with a value past each bound: they keep it until it is next changed. */
  plansOverBounds: z.record(z.string(), z.number().int().min(0)),
  /** Brand-neutral nameservers for resellers without their own. */
  defaultNameservers: z.array(z.string()),
  updatedAt: z.date(),
});

/** 0 (no default: domains of resellers without their own get no NS until set) or 2 to 6 distinct names. */
export function nameserverListSchema(empty: string) {
  return z
    .array(hostnameSchema)
    .max(6, "Enter at most 6 nameservers.")
    .superRefine((names, ctx) => {
      if (names.length === 1) ctx.addIssue({ code: "custom", message: `Enter at least 2 nameservers, or none ${empty}.`, input: names });
      const seen = new Set<string>();
      names.forEach((n, i) => {
        if (seen.has(n)) ctx.addIssue({ code: "custom", path: [i], message: `${n} is listed twice.`, input: n });
        seen.add(n);
      });
    });
}
