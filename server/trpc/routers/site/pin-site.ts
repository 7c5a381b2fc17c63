import { procedure, signedIn } from "../../init";
import { pinSite } from "../../../services/site/pin-site";
import { pinSiteInput, pinSiteOutput } from "./pin-site.schema";

export const pinSiteProcedure = procedure
  .meta({ access: "node.write" })
  .input(pinSiteInput)
  .output(pinSiteOutput)
  .mutation(({ ctx, input }) => pinSite(signedIn(ctx).actor, input));
