import { z } from "zod";
import { idSchema, mutationResultOutput } from "../operation/operation.schema";

export const moveSiteInput = z.object({ id: idSchema, toNodeId: idSchema });
export const moveSiteOutput = mutationResultOutput;
