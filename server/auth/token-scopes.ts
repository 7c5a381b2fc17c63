import type { Role } from "../generated/prisma/enums";
import { can, permissions, type Access, type Permission } from "./permissions";

// What an API token may do is the intersection of two things: its owner's rights (the permission
// map and tenant scope, checked on every call exactly as for a panel session) and the token's own
// scopes, "family:read" or "family:write" per resource family. Write implies read. Each permission
// of the map belongs to one family and is a read or a write; "impersonate" belongs to none, so no
// token can ever sign in as someone else.

export const tokenFamilies = [
  "resellers",
  "brand",
  "plans",
  "customers",
  "domains",
  "sites",
  "databases",
  "operations",
  "audit",
  "nodes",
  "settings",
  "sftp",
] as const;
export type TokenFamily = (typeof tokenFamilies)[number];
export type TokenScope = `${TokenFamily}:${"read" | "write"}`;

export const tokenScopeOf: Record<Permission, { family: TokenFamily; write: boolean } | null> = {
  "reseller.read": { family: "resellers", write: false },
  "reseller.write": { family: "resellers", write: true },
  "brand.read": { family: "brand", write: false },
  "brand.write": { family: "brand", write: true },
  "plan.read": { family: "plans", write: false },
  "plan.write": { family: "plans", write: true },
  "customer.read": { family: "customers", write: false },
  "customer.write": { family: "customers", write: true },
  "customer.lifecycle": { family: "customers", write: true },
  "account.read": { family: "customers", write: false },
  "domain.read": { family: "domains", write: false },
  "domain.write": { family: "domains", write: true },
  "site.read": { family: "sites", write: false },
  "site.write": { family: "sites", write: true },
  "site.revealAppAdmin": { family: "sites", write: true },
  "database.read": { family: "databases", write: false },
  "database.write": { family: "databases", write: true },
  "operation.read": { family: "operations", write: false },
  "operation.retry": { family: "operations", write: true },
  "node.read": { family: "nodes", write: false },
  "node.write": { family: "nodes", write: true },
  "settings.read": { family: "settings", write: false },
  "settings.write": { family: "settings", write: true },
  "audit.read": { family: "audit", write: false },
  "sftp.read": { family: "sftp", write: false },
  "sftp.write": { family: "sftp", write: true },
  impersonate: null,
  // A token cannot mint or revoke tokens: a leaked one must not be able to widen itself.
  "apiToken.manage": null,
};

/** Whether a token with `scopes` may use a procedure guarded by `access` (its owner's role is checked apart). */
export function tokenAllows(scopes: readonly string[], access: Access): boolean {
  if (access === "public" || access === "signedIn") return false;
  const needed = tokenScopeOf[access];
  if (!needed) return false;
  return scopes.includes(`${needed.family}:write`) || (!needed.write && scopes.includes(`${needed.family}:read`));
}

/** The scopes a role may put on a token: a family:level only when the role holds some permission needing it. */
export function grantableScopes(role: Role): TokenScope[] {
  const out = new Set<TokenScope>();
  for (const permission of Object.keys(permissions) as Permission[]) {
    const s = tokenScopeOf[permission];
    if (!s || !can(role, permission)) continue;
    out.add(`${s.family}:read`);
    if (s.write) out.add(`${s.family}:write`);
  }
  const all: TokenScope[] = tokenFamilies.flatMap((f): TokenScope[] => [`${f}:read`, `${f}:write`]);
  return all.filter((s) => out.has(s));
}
