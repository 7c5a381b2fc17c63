import { nameserverStatus } from "../../../services/dns/nameserver-status";
import { procedure, signedIn } from "../../init";
import { nameserverStatusInput, nameserverStatusOutput } from "./nameserver-status.schema";

export const nameserverStatusProcedure = procedure
  .meta({ access: "brand.read" })
  .input(nameserverStatusInput)
  .output(nameserverStatusOutput)
  .query(({ ctx, input }) => nameserverStatus(signedIn(ctx).scope, input));
