import { procedure, signedIn } from "../../init";
import { createSite } from "../../../services/site/create-site";
import { createSiteInput, createSiteOutput } from "./create-site.schema";

export const createSiteProcedure = procedure
  .meta({ access: "site.write" })
  .input(createSiteInput)
  .output(createSiteOutput)
  .mutation(({ ctx, input }) => createSite(signedIn(ctx).actor, input));
