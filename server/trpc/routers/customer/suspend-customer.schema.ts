import { customerDetailOutput, customerIdInput } from "./customer.schema";

export const suspendCustomerInput = customerIdInput;
export const suspendCustomerOutput = customerDetailOutput;
