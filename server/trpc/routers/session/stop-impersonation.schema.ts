import { z } from "zod";

export const stopImpersonationInput = z.void();
export const stopImpersonationOutput = z.object({ redirectTo: z.string() });
