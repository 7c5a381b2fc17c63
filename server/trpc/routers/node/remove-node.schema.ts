import { z } from "zod";

export const removeNodeInput = z.object({ id: z.string().min(1).max(64) });
export const removeNodeOutput = z.object({ id: z.string() });
