import type { Role } from "../generated/prisma/enums";

// The one permission map. Middleware checks it (server/trpc/init.ts); the UI reads it only to hide
// controls. Every procedure names one of these keys in its `.meta({ permission })`, or
// "public" / "signedIn"; the authorisation matrix test fails for a procedure without a rule.
// Roles say what *kind* of action is allowed; which rows is decided by the tenant scope in the
// service's `where` clause (server/auth/scope.ts).
export const permissions = {
  "reseller.read": ["ADMIN", "RESELLER"],
  "reseller.write": ["ADMIN", "RESELLER"],
  "brand.read": ["ADMIN", "RESELLER"],
  "brand.write": ["ADMIN", "RESELLER"],
  "plan.read": ["ADMIN", "RESELLER"],
  "plan.write": ["ADMIN", "RESELLER"],
  "customer.read": ["ADMIN", "RESELLER"],
  "customer.write": ["ADMIN", "RESELLER"],
  "customer.lifecycle": ["ADMIN", "RESELLER"],
  "account.read": ["ADMIN", "RESELLER", "CUSTOMER"],
  "domain.read": ["ADMIN", "RESELLER", "CUSTOMER"],
  "domain.write": ["ADMIN", "RESELLER", "CUSTOMER"],
  "site.read": ["ADMIN", "RESELLER", "CUSTOMER"],
  "site.write": ["ADMIN", "RESELLER", "CUSTOMER"],
  // The app's first admin password is shown once only, so only the site's owner may use that up;
  // support staff see it by "log in as", which the audit row records as an impersonation.
  "site.revealAppAdmin": ["CUSTOMER"],
  "database.read": ["ADMIN", "RESELLER", "CUSTOMER"],
  "sftp.read": ["ADMIN", "RESELLER", "CUSTOMER"],
  "sftp.write": ["ADMIN", "RESELLER", "CUSTOMER"],
  "database.write": ["ADMIN", "RESELLER", "CUSTOMER"],
  "operation.read": ["ADMIN", "RESELLER", "CUSTOMER"],
  "operation.retry": ["ADMIN", "RESELLER", "CUSTOMER"],
  "node.read": ["ADMIN"],
  "node.write": ["ADMIN"],
  // Platform-wide: the bounds on plans and the egress allow list. Resellers see the bounds only
  // through plan.bounds, as the plan form's hints.
  "settings.read": ["ADMIN"],
  "settings.write": ["ADMIN"],
  "audit.read": ["ADMIN", "RESELLER"],
  "impersonate": ["ADMIN", "RESELLER"],
  // Everyone manages their own API tokens (server/services/api-token); a reseller may also revoke
  // the tokens of its tree.
  "apiToken.manage": ["ADMIN", "RESELLER", "CUSTOMER"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;
/** "public": anyone, signed in or not. "signedIn": any signed-in user (own profile, 2FA set-up). */
export type Access = Permission | "public" | "signedIn";

export function can(role: Role, permission: Permission): boolean {
  return (permissions[permission] as readonly Role[]).includes(role);
}
