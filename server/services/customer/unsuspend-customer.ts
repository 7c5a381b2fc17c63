import type { Actor } from "../actor";
import type { CustomerDetail } from "./customer-select";
import { setCustomerStatus, unsuspendTransition } from "./set-customer-status";

export function unsuspendCustomer(actor: Actor, id: string): Promise<CustomerDetail> {
  return setCustomerStatus(actor, id, unsuspendTransition);
}
