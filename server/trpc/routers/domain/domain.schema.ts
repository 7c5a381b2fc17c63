import { z } from "zod";
import { siteAppSchema, tenantStatusSchema } from "../site/site.schema";

export const domainListItemOutput = z.object({
  id: z.string(),
  /** Lower-case ASCII (punycode for IDNs). */
  name: z.string(),
  /** As a person reads it (Unicode for IDNs). */
  displayName: z.string(),
  pending: z.boolean(),
  createdAt: z.date(),
  site: z.object({ id: z.string(), app: siteAppSchema }).nullable(),
});

export const domainDetailOutput = z.object({
  id: z.string(),
  accountId: z.string(),
  name: z.string(),
  displayName: z.string(),
  pending: z.boolean(),
  createdAt: z.date(),
  sites: z.array(
    z.object({
      id: z.string(),
      app: siteAppSchema,
      documentRoot: z.string(),
      phpVersion: z.string(),
      status: tenantStatusSchema,
      createdAt: z.date(),
    }),
  ),
  records: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      type: z.string(),
      content: z.string(),
      ttl: z.number().int(),
      priority: z.number().int().nullable(),
    }),
  ),
});
