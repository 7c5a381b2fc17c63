import { z } from "zod";
import { apiTokenOutput } from "./api-token.schema";

export const revokeApiTokenInput = z.object({ id: z.string().min(1).max(50) });
export const revokeApiTokenOutput = apiTokenOutput;
