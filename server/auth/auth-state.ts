import type { Role } from "../generated/prisma/enums";

/** The signed-in user as every request sees it (built by server/auth/get-auth-state.ts). */
export type SessionUser = {
  id: string;
  email: string;
  name: string;
  role: Role;
  resellerId: string;
  customerId: string | null;
  twoFactorEnabled: boolean;
};

export type AuthState = {
  user: SessionUser;
  sessionId: string;
  /** Set while someone is "logged in as" this user: the real person, for the banner and audit. */
  impersonator: { id: string; email: string; name: string } | null;
  /** ADMIN and RESELLER must have TOTP before they may do anything but set it up. */
  needsTwoFactorSetup: boolean;
};
