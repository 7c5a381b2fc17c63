import { procedure, signedIn } from "../../init";
import { suspendCustomer } from "../../../services/customer/suspend-customer";
import { suspendCustomerInput, suspendCustomerOutput } from "./suspend-customer.schema";

export const suspendCustomerProcedure = procedure
  .meta({ access: "customer.lifecycle" })
  .input(suspendCustomerInput)
  .output(suspendCustomerOutput)
  .mutation(({ ctx, input }) => suspendCustomer(signedIn(ctx).actor, input.id));
