import { procedure, signedIn } from "../../init";
import { getDomain } from "../../../services/domain/get-domain";
import { isPending } from "../operation/operation.schema";
import { getDomainInput, getDomainOutput } from "./get-domain.schema";

export const getDomainProcedure = procedure
  .meta({ access: "domain.read" })
  .input(getDomainInput)
  .output(getDomainOutput)
  .query(async ({ ctx, input }) => {
    const { generation, observedGeneration, ...domain } = await getDomain(signedIn(ctx).scope, input);
    return { ...domain, pending: isPending({ generation, observedGeneration }) };
  });
