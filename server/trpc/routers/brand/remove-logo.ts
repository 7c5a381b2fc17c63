import { removeBrandLogo } from "../../../services/brand/remove-brand-logo";
import { procedure, signedIn } from "../../init";
import { removeLogoInput, removeLogoOutput } from "./remove-logo.schema";

export const removeLogoProcedure = procedure
  .meta({ access: "brand.write" })
  .input(removeLogoInput)
  .output(removeLogoOutput)
  .mutation(({ ctx, input }) => removeBrandLogo(signedIn(ctx).actor, input));
