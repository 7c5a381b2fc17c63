import { suspendReseller } from "../../../services/reseller/suspend-reseller";
import { procedure, signedIn } from "../../init";
import { suspendResellerInput, suspendResellerOutput } from "./suspend-reseller.schema";

export const suspendResellerProcedure = procedure
  .meta({ access: "reseller.write" })
  .input(suspendResellerInput)
  .output(suspendResellerOutput)
  .mutation(({ ctx, input }) => suspendReseller(signedIn(ctx).actor, input.id));
