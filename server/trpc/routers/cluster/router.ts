import { router } from "../../init";
import { getClusterMapProcedure } from "./get-cluster-map";
import { getControlPlaneHealthProcedure } from "./get-control-plane-health";

export const clusterRouter = router({
  getMap: getClusterMapProcedure,
  getHealth: getControlPlaneHealthProcedure,
});
