import { updateBrand } from "../../../services/brand/update-brand";
import { procedure, signedIn } from "../../init";
import { updateBrandInput, updateBrandOutput } from "./update-brand.schema";

export const updateBrandProcedure = procedure
  .meta({ access: "brand.write" })
  .input(updateBrandInput)
  .output(updateBrandOutput)
  .mutation(({ ctx, input }) => updateBrand(signedIn(ctx).actor, input));
