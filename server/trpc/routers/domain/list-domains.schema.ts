import { z } from "zod";
import { pageInputSchema } from "../../../services/pagination";
import { accountIdSchema } from "../operation/operation.schema";
import { domainListItemOutput } from "./domain.schema";

export const listDomainsInput = pageInputSchema.extend({
  accountId: accountIdSchema,
  sort: z.enum(["name", "createdAt"]).default("name"),
});

export const listDomainsOutput = z.object({ items: z.array(domainListItemOutput), nextCursor: z.string().nullable() });
