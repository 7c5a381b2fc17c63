import { z } from "zod";
import { appEntry } from "../../../domain/app-catalog";
import { accountIdSchema, idSchema, mutationResultOutput } from "../operation/operation.schema";
import { documentRootSchema, phpVersionSchema, siteAppSchema } from "./site.schema";

export const createSiteInput = z.object({
  accountId: accountIdSchema,
  domainId: idSchema,
  // The enum keeps apps that existing rows may carry; only the catalog's offered ones can be created.
  app: siteAppSchema
    .default("NONE")
    .superRefine((app, ctx) => {
      const entry = appEntry(app);
      if (!entry.available) ctx.addIssue({ code: "custom", message: entry.unavailableReason ?? `${entry.label} is not offered.` });
    }),
  phpVersion: phpVersionSchema.default("8.2"),
  documentRoot: documentRootSchema.default("public"),
});

export const createSiteOutput = mutationResultOutput;
