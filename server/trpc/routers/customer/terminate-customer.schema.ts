import { z } from "zod";
import { customerDetailOutput, customerIdInput } from "./customer.schema";

export const terminateCustomerInput = customerIdInput.extend({
  /** Must equal the customer's name: termination cannot be undone. */
  confirmName: z.string().max(200),
});

export const terminateCustomerOutput = customerDetailOutput;
