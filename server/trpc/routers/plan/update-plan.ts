import { procedure, signedIn } from "../../init";
import { updatePlan } from "../../../services/plan/update-plan";
import { updatePlanInput, updatePlanOutput } from "./update-plan.schema";

export const updatePlanProcedure = procedure
  .meta({ access: "plan.write" })
  .input(updatePlanInput)
  .output(updatePlanOutput)
  .mutation(({ ctx, input }) => updatePlan(signedIn(ctx).actor, input));
