import type { Scope } from "../auth/scope";

/** Who is acting, for the audit trail: the signed-in user, the person behind an impersonation,
 * the client IP (already resolved through trusted proxies), and the verified tenant scope. */
export type Actor = {
  userId: string | null;
  email: string | null;
  impersonatorId: string | null;
  /** The API token the call came with (REST), for the audit trail; absent for panel sessions. */
  apiTokenId?: string | null;
  ip: string | null;
  scope: Scope;
};
