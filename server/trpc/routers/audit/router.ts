import { router } from "../../init";
import { listAuditEventsProcedure } from "./list-audit-events";

export const auditRouter = router({
  list: listAuditEventsProcedure,
});
