import { listResellers } from "../../../services/reseller/list-resellers";
import { procedure, signedIn } from "../../init";
import { listResellersInput, listResellersOutput } from "./list-resellers.schema";

export const listResellersProcedure = procedure
  .meta({ access: "reseller.read" })
  .input(listResellersInput)
  .output(listResellersOutput)
  .query(({ ctx, input }) => listResellers(signedIn(ctx).scope, input));
