import { z } from "zod";
import { domainNameSchema } from "../../../domain/domain-name";
import { accountIdSchema, mutationResultOutput } from "../operation/operation.schema";

export const createDomainInput = z.object({
  accountId: accountIdSchema,
  // Bounded before the grammar runs so a huge paste is rejected cheaply.
  name: z.string().max(300, "A domain name can be at most 253 characters.").pipe(domainNameSchema),
});

export const createDomainOutput = mutationResultOutput;
