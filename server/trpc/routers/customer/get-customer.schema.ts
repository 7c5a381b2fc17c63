import { customerDetailOutput, customerIdInput } from "./customer.schema";

export const getCustomerInput = customerIdInput;
export const getCustomerOutput = customerDetailOutput;
