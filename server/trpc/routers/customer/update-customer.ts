import { procedure, signedIn } from "../../init";
import { updateCustomer } from "../../../services/customer/update-customer";
import { updateCustomerInput, updateCustomerOutput } from "./update-customer.schema";

export const updateCustomerProcedure = procedure
  .meta({ access: "customer.write" })
  .input(updateCustomerInput)
  .output(updateCustomerOutput)
  .mutation(({ ctx, input }) => updateCustomer(signedIn(ctx).actor, input));
