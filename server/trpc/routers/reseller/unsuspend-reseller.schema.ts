import { z } from "zod";
import { resellerOutput } from "./create-reseller.schema";

export const unsuspendResellerInput = z.object({ id: z.string().min(1).max(64) });
export const unsuspendResellerOutput = resellerOutput;
