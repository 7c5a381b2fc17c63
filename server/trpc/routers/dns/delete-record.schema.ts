import { z } from "zod";
import { accountIdSchema, idSchema } from "../operation/operation.schema";

export const deleteRecordInput = z.object({ id: idSchema, accountId: accountIdSchema });
export const deleteRecordOutput = z.object({ id: z.string() });
