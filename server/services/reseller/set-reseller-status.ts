import { childResellerWhere } from "../../auth/scope";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { TenantStatus } from "../../generated/prisma/enums";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resellerSelect, toResellerView, type ResellerView } from "./reseller-view";

/**
 * Shared by suspend and unsuspend. Only an ancestor (or an admin) reaches the row: the scope
 * helper leaves out the caller's own reseller and the platform, so neither can be suspended by
 * whoever runs them. Asking for the status a reseller already has changes nothing and records
 * nothing, so a retried request is harmless.
 */
export async function setResellerStatus(
  actor: Actor,
  id: string,
  to: Extract<TenantStatus, "ACTIVE" | "SUSPENDED">,
): Promise<ResellerView> {
  return db.$transaction(async (tx) => {
    const current = await tx.reseller.findFirst({
      where: { AND: [{ id }, childResellerWhere(actor.scope)] },
      select: { id: true, name: true, status: true, parentId: true },
    });
    if (!current) throw AppError.notFound("Reseller");
    if (current.status === "TERMINATED") {
      throw new AppError("PRECONDITION_FAILED", `${current.name} has been terminated and cannot change status.`);
    }
    if (current.status !== to) {
      await tx.reseller.update({ where: { id }, data: { status: to, generation: { increment: 1 } } });
      const verb = to === "SUSPENDED" ? "suspend" : "unsuspend";
      await recordChange(tx, actor, {
        action: `reseller.${verb}`,
        targetType: "Reseller",
        targetId: id,
        resellerId: current.parentId ?? id,
        before: { status: current.status },
        after: { status: to },
        // Workers suspend or restore the sites of every customer in the subtree.
        outbox: { topic: `reseller.${verb}ed`, payload: { resellerId: id } },
      });
    }
    const row = await tx.reseller.findUniqueOrThrow({ where: { id }, select: resellerSelect });
    return toResellerView(row);
  });
}
