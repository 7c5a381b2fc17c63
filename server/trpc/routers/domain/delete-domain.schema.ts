import { z } from "zod";
import { accountIdSchema, idSchema, mutationResultOutput } from "../operation/operation.schema";

export const deleteDomainInput = z.object({ id: idSchema, accountId: accountIdSchema });
export const deleteDomainOutput = mutationResultOutput;
