import { db } from "../db";
import { env } from "../env";
import { impersonationStillAllowed } from "../services/session/impersonation-scope";
import { auth } from "./auth";
import type { AuthState } from "./auth-state";

/** ADMIN and RESELLER logins must have TOTP before they may do anything else. */
const twoFactorRequired = new Set(["ADMIN", "RESELLER"]);
// Writing updatedAt on every request would turn each page view into a write; a minute of slack
// on a timeout measured in tens of minutes is invisible.
const SLIDE_AFTER_MS = 60_000;

type SessionRow = { id: string; createdAt: Date; updatedAt: Date; expiresAt: Date };

/** Whether a session has outlived the idle window (since its last use) or its absolute life. */
export function sessionExpired(session: SessionRow, now = new Date()): boolean {
  const idleMs = env.SESSION_IDLE_MINUTES * 60_000;
  const absoluteMs = env.SESSION_ABSOLUTE_HOURS * 3_600_000;
  return (
    session.expiresAt <= now ||
    now.getTime() - session.updatedAt.getTime() > idleMs ||
    now.getTime() - session.createdAt.getTime() > absoluteMs
  );
}

/**
 * The signed-in user for a request, from better-auth's database session (the signed cookie is
 * checked by better-auth; nothing is cached in the cookie, so a deleted row signs out at once).
 * Enforces the idle timeout (sliding on updatedAt) and the absolute timeout (since createdAt),
 * deleting a session that has outlived either.
 */
export async function getAuthState(headers: Headers): Promise<AuthState | null> {
  const found = await auth.api.getSession({ headers, query: { disableCookieCache: true, disableRefresh: true } });
  if (!found) return null;
  const session = found.session;
  const now = new Date();
  if (sessionExpired(session, now)) {
    await db.session.deleteMany({ where: { id: session.id } });
    return null;
  }
  if (now.getTime() - session.updatedAt.getTime() > SLIDE_AFTER_MS) {
    await db.session.updateMany({ where: { id: session.id }, data: { updatedAt: now } });
  }

  const user = await db.user.findUnique({
    where: { id: session.userId },
    select: {
      id: true,
      email: true,
      name: true,
      role: true,
      resellerId: true,
      customerId: true,
      twoFactorEnabled: true,
      disabledAt: true,
    },
  });
  if (!user || user.disabledAt) return null;

  const impersonator = session.impersonatedBy
    ? await db.user.findUnique({ where: { id: session.impersonatedBy }, select: { id: true, email: true, name: true } })
    : null;
  // The impersonator's right is checked again on every request; a session whose impersonator was
  // disabled, lost the role, was suspended with its reseller, or whose target left its tree is
  // deleted, so it cannot come back if the right is restored later.
  if (session.impersonatedBy && (!impersonator || !(await impersonationStillAllowed(db, session.impersonatedBy, user.id)))) {
    await db.session.deleteMany({ where: { id: session.id } });
    return null;
  }

  const { disabledAt: _disabled, ...sessionUser } = user;
  return {
    user: sessionUser,
    sessionId: session.id,
    impersonator,
    // The person behind a "log in as" already passed their own second factor.
    needsTwoFactorSetup: !impersonator && twoFactorRequired.has(user.role) && !user.twoFactorEnabled,
  };
}
