import { router } from "../../init";
import { createCustomerProcedure } from "./create-customer";
import { getCustomerProcedure } from "./get-customer";
import { listCustomersProcedure } from "./list-customers";
import { suspendCustomerProcedure } from "./suspend-customer";
import { terminateCustomerProcedure } from "./terminate-customer";
import { unsuspendCustomerProcedure } from "./unsuspend-customer";
import { updateCustomerProcedure } from "./update-customer";

export const customerRouter = router({
  list: listCustomersProcedure,
  get: getCustomerProcedure,
  create: createCustomerProcedure,
  update: updateCustomerProcedure,
  suspend: suspendCustomerProcedure,
  unsuspend: unsuspendCustomerProcedure,
  terminate: terminateCustomerProcedure,
});
