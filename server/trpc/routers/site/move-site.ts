import { procedure, signedIn } from "../../init";
import { moveSite } from "../../../services/site/move-site";
import { moveSiteInput, moveSiteOutput } from "./move-site.schema";

export const moveSiteProcedure = procedure
  .meta({ access: "node.write" })
  .input(moveSiteInput)
  .output(moveSiteOutput)
  .mutation(({ ctx, input }) => moveSite(signedIn(ctx).actor, input));
