import { z } from "zod";
import { accountIdSchema, idSchema, operationOutput, operationTargetType } from "./operation.schema";

export const listOperationsInput = z.object({
  accountId: accountIdSchema,
  target: z.object({ type: operationTargetType, id: idSchema }).optional(),
  cursor: z.string().max(500).nullish(),
  limit: z.number().int().min(1).max(100).default(25),
});

export const listOperationsOutput = z.object({ items: z.array(operationOutput), nextCursor: z.string().nullable() });
