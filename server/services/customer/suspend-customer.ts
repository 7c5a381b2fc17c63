import type { Actor } from "../actor";
import type { CustomerDetail } from "./customer-select";
import { setCustomerStatus, suspendTransition } from "./set-customer-status";

export function suspendCustomer(actor: Actor, id: string): Promise<CustomerDetail> {
  return setCustomerStatus(actor, id, suspendTransition);
}
