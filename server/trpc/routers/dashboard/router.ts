import { router } from "../../init";
import { getDashboardProcedure } from "./get-dashboard";

export const dashboardRouter = router({
  get: getDashboardProcedure,
});
