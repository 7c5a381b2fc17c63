import { procedure } from "../../init";
import { getPlanBounds } from "../../../services/plan/get-plan-bounds";
import { getPlanBoundsInput, getPlanBoundsOutput } from "./get-plan-bounds.schema";

export const getPlanBoundsProcedure = procedure
  .meta({ access: "plan.read" })
  .input(getPlanBoundsInput)
  .output(getPlanBoundsOutput)
  .query(() => getPlanBounds());
