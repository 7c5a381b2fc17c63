import { env } from "../../../env";
import { procedure, signedIn } from "../../init";
import { revealAppAdmin } from "../../../services/site/reveal-app-admin";
import { revealAppAdminInput, revealAppAdminOutput } from "./reveal-app-admin.schema";

// A mutation, not a query: it uses up the site's only reveal (appAdminShownAt), and a query could
// be refetched or prefetched without anyone seeing the answer.
export const revealAppAdminProcedure = procedure
  .meta({ access: "site.revealAppAdmin" })
  .input(revealAppAdminInput)
  .output(revealAppAdminOutput)
  .mutation(({ ctx, input }) => revealAppAdmin(signedIn(ctx).actor, input, env.SHOAL_APP_ADMIN_KEY));
