import { getBrand } from "../../../services/brand/get-brand";
import { procedure, signedIn } from "../../init";
import { getBrandInput, getBrandOutput } from "./get-brand.schema";

export const getBrandProcedure = procedure
  .meta({ access: "brand.read" })
  .input(getBrandInput)
  .output(getBrandOutput)
  .query(({ ctx, input }) => getBrand(signedIn(ctx).scope, input.resellerId));
