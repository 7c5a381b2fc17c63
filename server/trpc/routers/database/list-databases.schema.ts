import { z } from "zod";
import { pageInputSchema } from "../../../services/pagination";
import { accountIdSchema } from "../operation/operation.schema";
import { databaseOutput } from "./database.schema";

export const listDatabasesInput = pageInputSchema.extend({
  accountId: accountIdSchema,
  sort: z.enum(["name", "createdAt"]).default("name"),
});

export const listDatabasesOutput = z.object({ items: z.array(databaseOutput), nextCursor: z.string().nullable() });
