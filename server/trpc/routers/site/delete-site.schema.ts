import { z } from "zod";
import { accountIdSchema, idSchema, mutationResultOutput } from "../operation/operation.schema";

export const deleteSiteInput = z.object({ id: idSchema, accountId: accountIdSchema });
export const deleteSiteOutput = mutationResultOutput;
