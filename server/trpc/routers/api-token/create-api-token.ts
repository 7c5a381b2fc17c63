import { procedure, signedIn } from "../../init";
import { createApiToken } from "../../../services/api-token/create-api-token";
import { createApiTokenInput, createApiTokenOutput } from "./create-api-token.schema";

export const createApiTokenProcedure = procedure
  .meta({ access: "apiToken.manage" })
  .input(createApiTokenInput)
  .output(createApiTokenOutput)
  .mutation(({ ctx, input }) => createApiToken(signedIn(ctx).actor, ctx.auth!.user.role, input));
