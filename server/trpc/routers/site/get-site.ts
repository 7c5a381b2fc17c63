import { procedure, signedIn } from "../../init";
import { getSite } from "../../../services/site/get-site";
import { isPending } from "../operation/operation.schema";
import { getSiteInput, getSiteOutput } from "./get-site.schema";

export const getSiteProcedure = procedure
  .meta({ access: "site.read" })
  .input(getSiteInput)
  .output(getSiteOutput)
  .query(async ({ ctx, input }) => {
    const { generation, observedGeneration, ...site } = await getSite(signedIn(ctx).scope, input);
    return { ...site, pending: isPending({ generation, observedGeneration }) };
  });
