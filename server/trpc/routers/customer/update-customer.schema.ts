import { companySchema, customerDetailOutput, customerEmailSchema, customerIdInput, customerNameSchema } from "./customer.schema";

export const updateCustomerInput = customerIdInput.extend({
  name: customerNameSchema.optional(),
  email: customerEmailSchema.optional(),
  company: companySchema,
});

export const updateCustomerOutput = customerDetailOutput;
