import { procedure, signedIn } from "../../init";
import { unsuspendCustomer } from "../../../services/customer/unsuspend-customer";
import { unsuspendCustomerInput, unsuspendCustomerOutput } from "./unsuspend-customer.schema";

export const unsuspendCustomerProcedure = procedure
  .meta({ access: "customer.lifecycle" })
  .input(unsuspendCustomerInput)
  .output(unsuspendCustomerOutput)
  .mutation(({ ctx, input }) => unsuspendCustomer(signedIn(ctx).actor, input.id));
