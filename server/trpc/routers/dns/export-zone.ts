import { procedure, signedIn } from "../../init";
import { exportZone } from "../../../services/dns/export-zone";
import { exportZoneInput, exportZoneOutput } from "./export-zone.schema";

export const exportZoneProcedure = procedure
  .meta({ access: "domain.read" })
  .input(exportZoneInput)
  .output(exportZoneOutput)
  .query(({ ctx, input }) => exportZone(signedIn(ctx).scope, input));
