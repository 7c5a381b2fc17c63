import { z } from "zod";
import { apiTokenNameSchema, apiTokenOutput, cidrSchema, tokenScopeSchema } from "./api-token.schema";

export const createApiTokenInput = z.object({
  name: apiTokenNameSchema,
  scopes: z.array(tokenScopeSchema).min(1, "Choose at least one scope.").max(40),
  allowedCidrs: z.array(cidrSchema).max(20).default([]),
  /** Null: the token never expires (it can still be revoked). */
  expiresAt: z.coerce.date().nullable().default(null),
});

/** `token` is the secret: shown once, here, and stored nowhere in the clear. */
export const createApiTokenOutput = z.object({ token: z.string(), apiToken: apiTokenOutput });
