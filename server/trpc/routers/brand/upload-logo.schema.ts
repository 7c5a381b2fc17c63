import { z } from "zod";
import { brandOutput } from "./get-brand.schema";

// 1.5 MB of base64 text; the service then allows at most 1 MB once decoded.
const maxBase64Length = 1.5 * 1024 * 1024;

export const uploadLogoInput = z.object({
  resellerId: z.string().min(1).max(64).nullish(),
  logo: z
    .string()
    .min(1, "Choose an image file.")
    .max(maxBase64Length, "The logo must be at most 1 MB.")
    // Node's decoder skips characters it does not know; refuse them so what we decode is what was sent.
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, "The file did not arrive intact; choose it again.")
    .refine((v) => v.length % 4 === 0, "The file did not arrive intact; choose it again."),
});

export const uploadLogoOutput = brandOutput;
