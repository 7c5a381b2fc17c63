import { procedure, signedIn } from "../../init";
import { deleteSite } from "../../../services/site/delete-site";
import { deleteSiteInput, deleteSiteOutput } from "./delete-site.schema";

export const deleteSiteProcedure = procedure
  .meta({ access: "site.write" })
  .input(deleteSiteInput)
  .output(deleteSiteOutput)
  .mutation(({ ctx, input }) => deleteSite(signedIn(ctx).actor, input));
