import type { Prisma } from "../generated/prisma/client";

// A signed-in user's tenancy, verified once per request (server/trpc/init.ts builds it). Services
// put these fragments in their `where` clauses, so another tenant's row reads as not found.
export type Scope =
  | { kind: "admin"; userId: string; resellerId: string }
  | { kind: "reseller"; userId: string; resellerId: string; /** own id + every descendant */ resellerIds: string[] }
  | { kind: "customer"; userId: string; resellerId: string; customerId: string };

// A filter that matches nothing: for a role that must never see a kind of row.
const NONE = "__none__";

export function resellerWhere(scope: Scope): Prisma.ResellerWhereInput {
  if (scope.kind === "admin") return {};
  if (scope.kind === "reseller") return { id: { in: scope.resellerIds } };
  return { id: NONE };
}

/** Resellers a scope may manage: its descendants, never itself (a reseller cannot suspend itself). */
export function childResellerWhere(scope: Scope): Prisma.ResellerWhereInput {
  if (scope.kind === "admin") return { isPlatform: false };
  if (scope.kind === "reseller") return { id: { in: scope.resellerIds.filter((id) => id !== scope.resellerId) } };
  return { id: NONE };
}

export function customerWhere(scope: Scope): Prisma.CustomerWhereInput {
  if (scope.kind === "admin") return {};
  if (scope.kind === "reseller") return { resellerId: { in: scope.resellerIds } };
  return { id: scope.customerId };
}

export function planWhere(scope: Scope): Prisma.PlanWhereInput {
  if (scope.kind === "admin") return {};
  if (scope.kind === "reseller") return { resellerId: { in: scope.resellerIds } };
  return { id: NONE };
}

export function accountWhere(scope: Scope): Prisma.HostingAccountWhereInput {
  if (scope.kind === "admin") return {};
  if (scope.kind === "customer") return { customerId: scope.customerId };
  return { customer: customerWhere(scope) };
}

export function domainWhere(scope: Scope): Prisma.DomainWhereInput {
  return scope.kind === "admin" ? {} : { account: accountWhere(scope) };
}

export function siteWhere(scope: Scope): Prisma.SiteWhereInput {
  return scope.kind === "admin" ? {} : { account: accountWhere(scope) };
}

export function databaseWhere(scope: Scope): Prisma.DatabaseWhereInput {
  return scope.kind === "admin" ? {} : { account: accountWhere(scope) };
}

export function auditWhere(scope: Scope): Prisma.AuditEventWhereInput {
  if (scope.kind === "admin") return {};
  if (scope.kind === "reseller") return { resellerId: { in: scope.resellerIds } };
  return { customerId: scope.customerId };
}

export function operationWhere(scope: Scope): Prisma.OperationWhereInput {
  if (scope.kind === "admin") return {};
  if (scope.kind === "reseller") return { resellerId: { in: scope.resellerIds } };
  return { customerId: scope.customerId };
}
