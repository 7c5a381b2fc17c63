import { z } from "zod";
import { accountIdSchema, mutationResultOutput } from "../operation/operation.schema";

// Both names get the account's prefix ("alice_") in the service, which knows the account; the
// grammar (server/domain/database-name.ts) runs there on the full name and reports per field.
const identifier = z.string().max(100, "Must be at most 64 characters.");

export const createDatabaseInput = z.object({
  accountId: accountIdSchema,
  name: identifier,
  username: identifier.optional().transform((v) => (v && v.trim() !== "" ? v : undefined)),
});

export const createDatabaseOutput = mutationResultOutput;
