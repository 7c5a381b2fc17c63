import { z } from "zod";

export const startImpersonationInput = z.object({ userId: z.string().min(1).max(64) });
export const startImpersonationOutput = z.object({ redirectTo: z.string() });
