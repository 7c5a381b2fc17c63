import { router } from "../../init";
import { archivePlanProcedure } from "./archive-plan";
import { createPlanProcedure } from "./create-plan";
import { getPlanProcedure } from "./get-plan";
import { getPlanBoundsProcedure } from "./get-plan-bounds";
import { listPlansProcedure } from "./list-plans";
import { updatePlanProcedure } from "./update-plan";

export const planRouter = router({
  list: listPlansProcedure,
  get: getPlanProcedure,
  bounds: getPlanBoundsProcedure,
  create: createPlanProcedure,
  update: updatePlanProcedure,
  archive: archivePlanProcedure,
});
