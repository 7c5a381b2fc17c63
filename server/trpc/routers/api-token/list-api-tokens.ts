import { procedure, signedIn } from "../../init";
import { grantableScopes } from "../../../auth/token-scopes";
import { listApiTokens } from "../../../services/api-token/list-api-tokens";
import { listApiTokensInput, listApiTokensOutput } from "./list-api-tokens.schema";

export const listApiTokensProcedure = procedure
  .meta({ access: "apiToken.manage" })
  .input(listApiTokensInput)
  .output(listApiTokensOutput)
  .query(async ({ ctx, input }) => {
    const page = await listApiTokens(signedIn(ctx).scope, input);
    return { ...page, grantableScopes: grantableScopes(ctx.auth!.user.role) };
  });
