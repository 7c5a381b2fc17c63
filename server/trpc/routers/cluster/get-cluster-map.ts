import { getClusterMap } from "../../../services/cluster/get-cluster-map";
import { procedure, signedIn } from "../../init";
import { clusterMapOutput, getClusterMapInput } from "./get-cluster-map.schema";

/** The cluster map for the page's polling fallback (when EventSource is unavailable or failing). */
export const getClusterMapProcedure = procedure
  .meta({ access: "node.read" })
  .input(getClusterMapInput)
  .output(clusterMapOutput)
  .query(({ ctx }) => getClusterMap(signedIn(ctx).scope));
