import { createReseller } from "../../../services/reseller/create-reseller";
import { procedure, signedIn } from "../../init";
import { createResellerInput, createResellerOutput } from "./create-reseller.schema";

export const createResellerProcedure = procedure
  .meta({ access: "reseller.write" })
  .input(createResellerInput)
  .output(createResellerOutput)
  .mutation(({ ctx, input }) => createReseller(signedIn(ctx).actor, input));
