import { procedure, signedIn } from "../../init";
import { getCustomer } from "../../../services/customer/get-customer";
import { getCustomerInput, getCustomerOutput } from "./get-customer.schema";

export const getCustomerProcedure = procedure
  .meta({ access: "customer.read" })
  .input(getCustomerInput)
  .output(getCustomerOutput)
  .query(({ ctx, input }) => getCustomer(signedIn(ctx).scope, input.id));
