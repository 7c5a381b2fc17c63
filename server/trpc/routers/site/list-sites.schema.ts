import { z } from "zod";
import { pageInputSchema } from "../../../services/pagination";
import { accountIdSchema } from "../operation/operation.schema";
import { siteOutput } from "./site.schema";

// Newest first by default: a site just created is the one whose progress a person is watching.
export const listSitesInput = pageInputSchema.extend({
  accountId: accountIdSchema,
  direction: z.enum(["asc", "desc"]).default("desc"),
});

export const listSitesOutput = z.object({ items: z.array(siteOutput), nextCursor: z.string().nullable() });
