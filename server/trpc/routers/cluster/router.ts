import { router } from "../../init";
import { getClusterMapProcedure } from "./get-cluster-map";

export const clusterRouter = router({
  getMap: getClusterMapProcedure,
});
