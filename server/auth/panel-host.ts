import { db } from "../db";
import { env } from "../env";

/** The platform's own panel host name (what PANEL_URL names), lower-cased, without port. */
export function platformHostname(): string {
  return new URL(env.PANEL_URL).hostname.toLowerCase().replace(/^\[|\]$/g, "");
}

/** The request's host name, lower-cased, without port (the Host header the browser sent). */
export function requestHostname(headers: Headers): string | null {
  const host = headers.get("host");
  if (!host) return null;
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/** The reseller whose panel this host is (a BrandHostname), or null for the platform's own hosts. */
export async function resellerForHost(headers: Headers): Promise<{ id: string; path: string } | null> {
  const hostname = requestHostname(headers);
  if (!hostname) return null;
  const row = await db.brandHostname.findUnique({
    where: { hostname },
    select: { reseller: { select: { id: true, path: true } } },
  });
  return row?.reseller ?? null;
}

/**
 * Whether a user may sign in on a reseller's panel host: the reseller's own tree only (its
 * resellers, sub-resellers and their customers). Users store the reseller they belong to, and a
 * reseller's path starts with every ancestor's, so one prefix test on the user's reseller decides.
 */
export async function userBelongsToTree(userId: string, treePath: string): Promise<boolean> {
  const count = await db.user.count({ where: { id: userId, reseller: { path: { startsWith: treePath } } } });
  return count > 0;
}
