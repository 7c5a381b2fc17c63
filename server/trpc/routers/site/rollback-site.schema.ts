import { z } from "zod";
import { idSchema, mutationResultOutput } from "../operation/operation.schema";

export const rollbackSiteInput = z.object({ id: idSchema, snapshotId: idSchema });
export const rollbackSiteOutput = mutationResultOutput;
