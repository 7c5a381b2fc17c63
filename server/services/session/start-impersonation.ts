import { generateRandomString } from "better-auth/crypto";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { impersonableWhere } from "./impersonation-scope";

/** A "log in as" session is short: long enough to help a customer, too short to forget about. */
export const IMPERSONATION_TTL_MS = 60 * 60 * 1000;

/**
 * Starts a session as `userId` on behalf of the actor, keeping the actor's own session to return
 * to. The audit row (and everything done during the impersonation) carries impersonatorId, so one
 * filter finds the start, the actions and the stop.
 */
export async function startImpersonation(
  actor: Actor,
  input: { userId: string; currentSessionId: string; userAgent: string | null },
): Promise<{ token: string; expiresAt: Date; original: { token: string; expiresAt: Date } }> {
  if (actor.impersonatorId) throw new AppError("FORBIDDEN", "Stop the current impersonation first.");
  if (!actor.userId) throw new AppError("UNAUTHENTICATED", "Please sign in.");
  const target = await db.user.findFirst({
    where: { id: input.userId, disabledAt: null, ...impersonableWhere(actor.scope) },
    select: { id: true, email: true, role: true, resellerId: true, customerId: true },
  });
  if (!target) throw AppError.notFound("User");
  if (target.role === "ADMIN") throw new AppError("FORBIDDEN", "Administrators cannot be impersonated.");
  if (target.id === actor.userId) throw new AppError("BAD_INPUT", "You are already signed in as yourself.");

  const original = await db.session.findFirst({
    where: { id: input.currentSessionId, userId: actor.userId },
    select: { token: true, expiresAt: true },
  });
  if (!original) throw new AppError("UNAUTHENTICATED", "Please sign in.");

  const token = generateRandomString(32, "a-z", "A-Z", "0-9");
  const expiresAt = new Date(Math.min(Date.now() + IMPERSONATION_TTL_MS, original.expiresAt.getTime()));
  await db.$transaction(async (tx) => {
    await tx.session.create({
      data: {
        token,
        userId: target.id,
        expiresAt,
        impersonatedBy: actor.userId,
        ipAddress: actor.ip,
        userAgent: input.userAgent?.slice(0, 500) ?? null,
      },
    });
    await recordChange(tx, { ...actor, impersonatorId: actor.userId }, {
      action: "session.impersonate",
      targetType: "User",
      targetId: target.id,
      resellerId: target.resellerId,
      customerId: target.customerId,
      after: { email: target.email, role: target.role, expiresAt: expiresAt.toISOString() },
    });
  });
  return { token, expiresAt, original };
}
