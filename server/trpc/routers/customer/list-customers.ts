import { procedure, signedIn } from "../../init";
import { listCustomers } from "../../../services/customer/list-customers";
import { listCustomersInput, listCustomersOutput } from "./list-customers.schema";

export const listCustomersProcedure = procedure
  .meta({ access: "customer.read" })
  .input(listCustomersInput)
  .output(listCustomersOutput)
  .query(({ ctx, input }) => listCustomers(signedIn(ctx).scope, input));
