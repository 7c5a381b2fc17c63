import { z } from "zod";
import { idSchema, operationOutput } from "./operation.schema";

export const getOperationInput = z.object({ id: idSchema });
export const getOperationOutput = operationOutput;
