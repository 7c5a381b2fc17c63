import { z } from "zod";
import { accountIdSchema, idSchema, mutationResultOutput } from "../operation/operation.schema";

export const deleteDatabaseInput = z.object({ id: idSchema, accountId: accountIdSchema });
export const deleteDatabaseOutput = mutationResultOutput;
