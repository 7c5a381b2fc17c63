import { procedure, signedIn } from "../../init";
import { deleteDomain } from "../../../services/domain/delete-domain";
import { deleteDomainInput, deleteDomainOutput } from "./delete-domain.schema";

export const deleteDomainProcedure = procedure
  .meta({ access: "domain.write" })
  .input(deleteDomainInput)
  .output(deleteDomainOutput)
  .mutation(({ ctx, input }) => deleteDomain(signedIn(ctx).actor, input));
