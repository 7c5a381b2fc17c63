import { procedure, signedIn } from "../../init";
import { listPlans } from "../../../services/plan/list-plans";
import { listPlansInput, listPlansOutput } from "./list-plans.schema";

export const listPlansProcedure = procedure
  .meta({ access: "plan.read" })
  .input(listPlansInput)
  .output(listPlansOutput)
  .query(({ ctx, input }) => listPlans(signedIn(ctx).scope, input));
