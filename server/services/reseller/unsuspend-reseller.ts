import type { Actor } from "../actor";
import type { ResellerView } from "./reseller-view";
import { setResellerStatus } from "./set-reseller-status";

export function unsuspendReseller(actor: Actor, id: string): Promise<ResellerView> {
  return setResellerStatus(actor, id, "ACTIVE");
}
