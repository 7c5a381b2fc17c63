import { unsuspendReseller } from "../../../services/reseller/unsuspend-reseller";
import { procedure, signedIn } from "../../init";
import { unsuspendResellerInput, unsuspendResellerOutput } from "./unsuspend-reseller.schema";

export const unsuspendResellerProcedure = procedure
  .meta({ access: "reseller.write" })
  .input(unsuspendResellerInput)
  .output(unsuspendResellerOutput)
  .mutation(({ ctx, input }) => unsuspendReseller(signedIn(ctx).actor, input.id));
