import { procedure, signedIn } from "../../init";
import { listSites } from "../../../services/site/list-sites";
import { isPending } from "../operation/operation.schema";
import { listSitesInput, listSitesOutput } from "./list-sites.schema";

export const listSitesProcedure = procedure
  .meta({ access: "site.read" })
  .input(listSitesInput)
  .output(listSitesOutput)
  .query(async ({ ctx, input }) => {
    const page = await listSites(signedIn(ctx).scope, input);
    return {
      items: page.items.map(({ generation, observedGeneration, ...s }) => ({ ...s, pending: isPending({ generation, observedGeneration }) })),
      nextCursor: page.nextCursor,
    };
  });
