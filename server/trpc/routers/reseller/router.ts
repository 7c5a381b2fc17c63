import { router } from "../../init";
import { createResellerProcedure } from "./create-reseller";
import { getResellerProcedure } from "./get-reseller";
import { listResellersProcedure } from "./list-resellers";
import { suspendResellerProcedure } from "./suspend-reseller";
import { unsuspendResellerProcedure } from "./unsuspend-reseller";
import { updateResellerProcedure } from "./update-reseller";

export const resellerRouter = router({
  list: listResellersProcedure,
  get: getResellerProcedure,
  create: createResellerProcedure,
  update: updateResellerProcedure,
  suspend: suspendResellerProcedure,
  unsuspend: unsuspendResellerProcedure,
});
