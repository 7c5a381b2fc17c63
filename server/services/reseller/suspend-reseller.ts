import type { Actor } from "../actor";
import type { ResellerView } from "./reseller-view";
import { setResellerStatus } from "./set-reseller-status";

/** Suspends a reseller; it, its sub-resellers and all their customers lose panel access. */
export function suspendReseller(actor: Actor, id: string): Promise<ResellerView> {
  return setResellerStatus(actor, id, "SUSPENDED");
}
