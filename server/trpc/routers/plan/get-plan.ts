import { procedure, signedIn } from "../../init";
import { getPlan } from "../../../services/plan/get-plan";
import { getPlanInput, getPlanOutput } from "./get-plan.schema";

export const getPlanProcedure = procedure
  .meta({ access: "plan.read" })
  .input(getPlanInput)
  .output(getPlanOutput)
  .query(({ ctx, input }) => getPlan(signedIn(ctx).scope, input.id));
