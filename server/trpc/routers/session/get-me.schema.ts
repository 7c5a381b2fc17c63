import { z } from "zod";
import { Role } from "../../../generated/prisma/enums";

export const getMeInput = z.void();

export const getMeOutput = z
  .object({
    user: z.object({
      id: z.string(),
      email: z.string(),
      name: z.string(),
      role: z.enum(Role),
      twoFactorEnabled: z.boolean(),
    }),
    impersonator: z.object({ id: z.string(), email: z.string(), name: z.string() }).nullable(),
    needsTwoFactorSetup: z.boolean(),
  })
  .nullable();
