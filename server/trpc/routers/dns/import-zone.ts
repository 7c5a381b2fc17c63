import { procedure, signedIn } from "../../init";
import { importZone } from "../../../services/dns/import-zone";
import { importZoneInput, importZoneOutput } from "./import-zone.schema";

export const importZoneProcedure = procedure
  .meta({ access: "domain.write" })
  .input(importZoneInput)
  .output(importZoneOutput)
  .mutation(({ ctx, input }) => importZone(signedIn(ctx).actor, input));
