import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import type { Role } from "../generated/prisma/enums";
import type { AuthState } from "./auth-state";
import { getAuthState } from "./get-auth-state";

/** Where each role lands: `/` and a wrong-audience page both send the user here. */
export const roleHome: Record<Role, string> = {
  ADMIN: "/admin/resellers",
  RESELLER: "/reseller/customers",
  CUSTOMER: "/dashboard",
};

/** The header proxy.ts sets to the requested path, because a layout is not told its URL. */
export const PATH_HEADER = "x-shoal-path";

// One session lookup per request, however many layouts, pages and generateMetadata calls ask.
const authForRequest = cache(async (): Promise<AuthState | null> => getAuthState(await headers()));

/** The signed-in user for a server component, or null; never redirects. */
export async function getPageAuth(): Promise<AuthState | null> {
  return authForRequest();
}

/**
 * For layouts and pages that need a signed-in user of one of `roles`. Anonymous visitors go to
 * sign-in (and come back afterwards), admins and resellers without TOTP go to set it up, and a
 * user of another role goes to their own home rather than seeing an error.
 */
export async function requirePageAuth(roles: Role[]): Promise<AuthState> {
  const auth = await authForRequest();
  if (!auth) {
    const path = safeNextPath((await headers()).get(PATH_HEADER));
    redirect(path ? `/sign-in?next=${encodeURIComponent(path)}` : "/sign-in");
  }
  if (auth.needsTwoFactorSetup) redirect("/two-factor/setup");
  if (!roles.includes(auth.user.role)) redirect(roleHome[auth.user.role]);
  return auth;
}

/** Only a same-site path ("/domains?x=1"), never "//evil.test" or "/\evil.test", may be a `next`. */
export function safeNextPath(path: string | null | undefined): string | null {
  if (!path || !path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return null;
  if (path.length > 512 || /[\u0000-\u001f]/.test(path)) return null;
  return path;
}
