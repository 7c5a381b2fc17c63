import { z } from "zod";
import { pageInputSchema } from "../../../services/pagination";
import { apiTokenOutput } from "./api-token.schema";

export const listApiTokensInput = pageInputSchema.pick({ cursor: true, limit: true });
export const listApiTokensOutput = z.object({
  items: z.array(apiTokenOutput),
  nextCursor: z.string().nullable(),
  /** The scopes this person may put on a token (never beyond their own rights). */
  grantableScopes: z.array(z.string()),
});
