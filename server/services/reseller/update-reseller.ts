import { childResellerWhere } from "../../auth/scope";
import { db } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { hostnameRaceError, replaceHostnames } from "./replace-hostnames";
import { resellerSelect, toResellerView, type ResellerView } from "./reseller-view";

export type UpdateResellerInput = { id: string; name: string; hostnames: string[] };

export async function updateReseller(actor: Actor, input: UpdateResellerInput): Promise<ResellerView> {
  try {
    return await db.$transaction(async (tx) => {
      const before = await tx.reseller.findFirst({
        where: { AND: [{ id: input.id }, childResellerWhere(actor.scope)] },
        select: { id: true, name: true, parentId: true, hostnames: { select: { hostname: true }, orderBy: { hostname: "asc" } } },
      });
      if (!before) throw AppError.notFound("Reseller");
      await replaceHostnames(tx, before.id, input.hostnames);
      // Hostnames are desired state for the edge (which names route to the panel), hence the bump.
      const row = await tx.reseller.update({
        where: { id: before.id },
        data: { name: input.name, generation: { increment: 1 } },
        select: resellerSelect,
      });
      await recordChange(tx, actor, {
        action: "reseller.update",
        targetType: "Reseller",
        targetId: before.id,
        resellerId: before.parentId ?? before.id,
        before: { name: before.name, hostnames: before.hostnames.map((h) => h.hostname) },
        after: { name: input.name, hostnames: input.hostnames },
        outbox: { topic: "reseller.changed", payload: { resellerId: before.id } },
      });
      return toResellerView(row);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw hostnameRaceError();
    throw e;
  }
}
