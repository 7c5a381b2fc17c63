import { getReseller } from "../../../services/reseller/get-reseller";
import { procedure, signedIn } from "../../init";
import { getResellerInput, getResellerOutput } from "./get-reseller.schema";

export const getResellerProcedure = procedure
  .meta({ access: "reseller.read" })
  .input(getResellerInput)
  .output(getResellerOutput)
  .query(({ ctx, input }) => getReseller(signedIn(ctx).scope, input.id));
