import { procedure, signedIn } from "../../init";
import { rollbackSite } from "../../../services/site/rollback-site";
import { rollbackSiteInput, rollbackSiteOutput } from "./rollback-site.schema";

export const rollbackSiteProcedure = procedure
  .meta({ access: "site.write" })
  .input(rollbackSiteInput)
  .output(rollbackSiteOutput)
  .mutation(({ ctx, input }) => rollbackSite(signedIn(ctx).actor, input));
