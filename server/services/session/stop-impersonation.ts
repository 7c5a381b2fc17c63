import { db } from "../../db";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";

/**
 * Ends a "log in as" session and hands back the impersonator's own session when it is still
 * alive. The token comes from a cookie, so it is only honoured if it is a live session of the
 * very person recorded as the impersonator.
 */
export async function stopImpersonation(
  actor: Actor,
  input: { currentSessionId: string; originalToken: string | null },
): Promise<{ restored: { token: string; expiresAt: Date } | null }> {
  const impersonatorId = actor.impersonatorId;
  if (!impersonatorId || !actor.userId) throw new AppError("PRECONDITION_FAILED", "You are not logged in as someone else.");
  const target = await db.user.findUnique({
    where: { id: actor.userId },
    select: { id: true, email: true, resellerId: true, customerId: true },
  });
  if (!target) throw AppError.notFound("User");

  return db.$transaction(async (tx) => {
    await tx.session.deleteMany({ where: { id: input.currentSessionId, impersonatedBy: impersonatorId } });
    const original = input.originalToken
      ? await tx.session.findFirst({
          where: { token: input.originalToken, userId: impersonatorId, impersonatedBy: null, expiresAt: { gt: new Date() } },
          select: { token: true, expiresAt: true },
        })
      : null;
    await recordChange(tx, actor, {
      action: "session.impersonate.stop",
      targetType: "User",
      targetId: target.id,
      resellerId: target.resellerId,
      customerId: target.customerId,
      after: { email: target.email, restored: original !== null },
    });
    return { restored: original };
  });
}
