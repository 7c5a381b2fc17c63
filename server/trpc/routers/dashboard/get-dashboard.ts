import { procedure, signedIn } from "../../init";
import { getDashboard } from "../../../services/dashboard/get-dashboard";
import { getDashboardInput, getDashboardOutput } from "./get-dashboard.schema";

export const getDashboardProcedure = procedure
  .meta({ access: "account.read" })
  .input(getDashboardInput)
  .output(getDashboardOutput)
  .query(({ ctx, input }) => getDashboard(signedIn(ctx).scope, input));
