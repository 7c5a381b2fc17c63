import { z } from "zod";
import { pageInputSchema } from "../../../services/pagination";
import { resellerOutput } from "./create-reseller.schema";

export const listResellersInput = pageInputSchema.extend({
  sort: z.enum(["name", "createdAt"]).default("name"),
  /** Only the direct children of this reseller (the detail page's sub-reseller list). */
  parentId: z.string().min(1).max(64).nullish(),
});
export const listResellersOutput = z.object({ items: z.array(resellerOutput), nextCursor: z.string().nullable() });
