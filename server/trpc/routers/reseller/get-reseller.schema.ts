import { z } from "zod";
import { resellerOutput } from "./create-reseller.schema";

export const getResellerInput = z.object({ id: z.string().min(1).max(64) });
export const getResellerOutput = resellerOutput.extend({
  blockedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
});
