import { procedure, signedIn } from "../../init";
import { listDomains } from "../../../services/domain/list-domains";
import { isPending } from "../operation/operation.schema";
import { listDomainsInput, listDomainsOutput } from "./list-domains.schema";

export const listDomainsProcedure = procedure
  .meta({ access: "domain.read" })
  .input(listDomainsInput)
  .output(listDomainsOutput)
  .query(async ({ ctx, input }) => {
    const page = await listDomains(signedIn(ctx).scope, input);
    return {
      items: page.items.map(({ sites, generation, observedGeneration, ...d }) => ({
        ...d,
        pending: isPending({ generation, observedGeneration }),
        site: sites[0] ?? null,
      })),
      nextCursor: page.nextCursor,
    };
  });
