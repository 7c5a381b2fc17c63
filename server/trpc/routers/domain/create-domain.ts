import { procedure, signedIn } from "../../init";
import { createDomain } from "../../../services/domain/create-domain";
import { createDomainInput, createDomainOutput } from "./create-domain.schema";

export const createDomainProcedure = procedure
  .meta({ access: "domain.write" })
  .input(createDomainInput)
  .output(createDomainOutput)
  .mutation(({ ctx, input }) => createDomain(signedIn(ctx).actor, input));
