import { readPanelHealth } from "../../../services/health/read-panel-health";
import { procedure } from "../../init";
import { controlPlaneHealthOutput, getControlPlaneHealthInput } from "./get-control-plane-health.schema";

/** Whether the control plane itself is behind (no worker, no heartbeat tick, schedules missing, queue lag), for the admin banner. */
export const getControlPlaneHealthProcedure = procedure
  .meta({ access: "node.read" })
  .input(getControlPlaneHealthInput)
  .output(controlPlaneHealthOutput)
  .query(async () => {
    const h = await readPanelHealth();
    return { ok: h.ok, checkedAt: h.checkedAt, problems: h.problems };
  });
