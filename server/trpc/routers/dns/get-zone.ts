import { procedure, signedIn } from "../../init";
import { listZone } from "../../../services/dns/list-zone";
import { getZoneInput, getZoneOutput } from "./get-zone.schema";

export const getZoneProcedure = procedure
  .meta({ access: "domain.read" })
  .input(getZoneInput)
  .output(getZoneOutput)
  .query(({ ctx, input }) => listZone(signedIn(ctx).scope, input));
