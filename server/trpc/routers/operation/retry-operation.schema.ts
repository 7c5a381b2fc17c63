import { z } from "zod";
import { idSchema } from "./operation.schema";

export const retryOperationInput = z.object({ id: idSchema });
export const retryOperationOutput = z.object({ id: z.string() });
