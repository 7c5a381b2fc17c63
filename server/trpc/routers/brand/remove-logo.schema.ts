import { z } from "zod";
import { brandOutput } from "./get-brand.schema";

export const removeLogoInput = z.object({ resellerId: z.string().min(1).max(64).nullish() });
export const removeLogoOutput = brandOutput;
