import { customerDetailOutput, customerIdInput } from "./customer.schema";

export const unsuspendCustomerInput = customerIdInput;
export const unsuspendCustomerOutput = customerDetailOutput;
