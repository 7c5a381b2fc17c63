import { procedure, signedIn } from "../../init";
import { createPlan } from "../../../services/plan/create-plan";
import { createPlanInput, createPlanOutput } from "./create-plan.schema";

export const createPlanProcedure = procedure
  .meta({ access: "plan.write" })
  .input(createPlanInput)
  .output(createPlanOutput)
  .mutation(({ ctx, input }) => createPlan(signedIn(ctx).actor, input));
