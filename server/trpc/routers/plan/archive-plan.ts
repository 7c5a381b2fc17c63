import { procedure, signedIn } from "../../init";
import { archivePlan } from "../../../services/plan/archive-plan";
import { archivePlanInput, archivePlanOutput } from "./archive-plan.schema";

export const archivePlanProcedure = procedure
  .meta({ access: "plan.write" })
  .input(archivePlanInput)
  .output(archivePlanOutput)
  .mutation(({ ctx, input }) => archivePlan(signedIn(ctx).actor, input.id));
