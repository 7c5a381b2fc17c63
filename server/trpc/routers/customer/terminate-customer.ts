import { procedure, signedIn } from "../../init";
import { terminateCustomer } from "../../../services/customer/terminate-customer";
import { terminateCustomerInput, terminateCustomerOutput } from "./terminate-customer.schema";

export const terminateCustomerProcedure = procedure
  .meta({ access: "customer.lifecycle" })
  .input(terminateCustomerInput)
  .output(terminateCustomerOutput)
  .mutation(({ ctx, input }) => terminateCustomer(signedIn(ctx).actor, input));
