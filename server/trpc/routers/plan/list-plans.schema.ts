import { z } from "zod";
import { pageInputSchema } from "../../../services/pagination";
import { planOutput } from "./plan.schema";

export const listPlansInput = pageInputSchema.extend({
  sort: z.enum(["name", "createdAt"]).default("name"),
  resellerId: z.string().min(1).max(50).optional(),
  includeArchived: z.boolean().default(false),
});

export const listPlansOutput = z.object({ items: z.array(planOutput), nextCursor: z.string().nullable() });
