import { z } from "zod";
import { egressSpecSchema } from "../../../contract/node-spec";
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
  updatedAt: z.date(),
});
