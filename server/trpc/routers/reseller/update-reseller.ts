import { updateReseller } from "../../../services/reseller/update-reseller";
import { procedure, signedIn } from "../../init";
import { updateResellerInput, updateResellerOutput } from "./update-reseller.schema";

export const updateResellerProcedure = procedure
  .meta({ access: "reseller.write" })
  .input(updateResellerInput)
  .output(updateResellerOutput)
  .mutation(({ ctx, input }) => updateReseller(signedIn(ctx).actor, input));
