import { procedure, signedIn } from "../../init";
import { listAuditEvents } from "../../../services/audit/list-audit-events";
import { listAuditEventsInput, listAuditEventsOutput } from "./list-audit-events.schema";

export const listAuditEventsProcedure = procedure
  .meta({ access: "audit.read" })
  .input(listAuditEventsInput)
  .output(listAuditEventsOutput)
  .query(({ ctx, input }) => listAuditEvents(signedIn(ctx).scope, input));
