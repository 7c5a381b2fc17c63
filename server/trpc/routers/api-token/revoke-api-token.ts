import { procedure, signedIn } from "../../init";
import { revokeApiToken } from "../../../services/api-token/revoke-api-token";
import { revokeApiTokenInput, revokeApiTokenOutput } from "./revoke-api-token.schema";

export const revokeApiTokenProcedure = procedure
  .meta({ access: "apiToken.manage" })
  .input(revokeApiTokenInput)
  .output(revokeApiTokenOutput)
  .mutation(({ ctx, input }) => revokeApiToken(signedIn(ctx).actor, input.id));
