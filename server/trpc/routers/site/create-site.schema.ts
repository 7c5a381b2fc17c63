import { z } from "zod";
import { accountIdSchema, idSchema, mutationResultOutput } from "../operation/operation.schema";
import { documentRootSchema, phpVersionSchema, siteAppSchema } from "./site.schema";

export const createSiteInput = z.object({
  accountId: accountIdSchema,
  domainId: idSchema,
  app: siteAppSchema.default("NONE"),
  phpVersion: phpVersionSchema.default("8.2"),
  documentRoot: documentRootSchema.default("public"),
});

export const createSiteOutput = mutationResultOutput;
