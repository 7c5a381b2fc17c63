import { procedure, signedIn } from "../../init";
import { createCustomer } from "../../../services/customer/create-customer";
import { createCustomerInput, createCustomerOutput } from "./create-customer.schema";

export const createCustomerProcedure = procedure
  .meta({ access: "customer.write" })
  .input(createCustomerInput)
  .output(createCustomerOutput)
  .mutation(({ ctx, input }) => createCustomer(signedIn(ctx).actor, input));
