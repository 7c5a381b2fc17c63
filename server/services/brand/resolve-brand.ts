import { db } from "../../db";
import { env } from "../../env";
import { normaliseHost } from "../../http/request-host";
import { rememberHostBrand } from "./last-known-brand";
import type { AuthState } from "../../auth/auth-state";
import { platformHostname } from "../../auth/panel-host";
import { presentingReseller } from "./presenting-reseller";

export type ResolvedBrand = {
  resellerId: string;
  displayName: string;
  primaryColor: string;
  accentColor: string;
  logoUrl: string | null;
  supportEmail: string | null;
  isPlatform: boolean;
};

// Every page render resolves the brand (layout and <title>), so results are kept briefly in
// memory. A brand edit shows within CACHE_MS plus a render.
const CACHE_MS = 3_000;
// The Host header is chosen by the client: bound the cache so random hosts cannot grow it.
const CACHE_MAX_ENTRIES = 1_000;
const cache = new Map<string, { at: number; brand: ResolvedBrand }>();

/**
 * The name used where no brand applies (a fresh install with nothing seeded, better-auth's own
 * defaults): neutral, so no page, mail or authenticator entry names the software the panel runs.
 */
export const neutralDisplayName = "Control panel";

/** When nothing is seeded yet (a fresh install), pages still render under a neutral name. */
const FALLBACK: ResolvedBrand = {
  resellerId: "",
  displayName: neutralDisplayName,
  primaryColor: "#0f766e",
  accentColor: "#f59e0b",
  logoUrl: null,
  supportEmail: null,
  isPlatform: true,
};

/**
 * The brand a visitor sees, in this order: the reseller that owns the request's host name
 * (BrandHostname), else the signed-in user's reseller as it presents itself (its nearest ancestor
 * with a panel host when it has none: presentingReseller), else the platform root. A reseller with no
 * Brand row is skipped, so the order falls through to the next candidate. The platform's own panel
 * host never resolves through BrandHostname (such a row is refused when written, and ignored here
 * should one predate that rule), so its sign-in page always wears the platform's brand.
 */
export async function resolveBrand(host: string | null, auth: AuthState | null): Promise<ResolvedBrand> {
  const hostname = normaliseHost(host);
  const key = `${hostname ?? ""}|${auth?.user.resellerId ?? ""}`;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && now - hit.at < CACHE_MS) return hit.brand;

  const brand = await lookup(hostname, auth?.user.resellerId ?? null);
  if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
  cache.set(key, { at: now, brand });
  return brand;
}

/** Drops cached results in this process (the brand editor calls it so its own page shows the change at once). */
export function clearBrandCache(): void {
  cache.clear();
}

/** The brand a reseller's users see their panel (and their mails) under, whatever host they use. */
export function brandForReseller(resellerId: string): Promise<ResolvedBrand> {
  return lookup(null, resellerId);
}

async function lookup(hostname: string | null, resellerId: string | null): Promise<ResolvedBrand> {
  if (hostname && hostname !== platformHostname()) {
    const owner = await db.brandHostname.findUnique({ where: { hostname }, select: { resellerId: true } });
    const brand = owner && (await brandOf({ resellerId: owner.resellerId }));
    if (brand) {
      // A reseller's own host: its brand is what the maintenance page shows there.
      rememberHostBrand(hostname, brand);
      return brand;
    }
  }
  if (resellerId !== null) {
    const brand = await brandOf({ resellerId: (await presentingReseller(resellerId)).resellerId });
    if (brand) return brand;
  }
  const platform = (await brandOf({ reseller: { isPlatform: true, parentId: null } })) ?? FALLBACK;
  // Only the platform's own host is remembered with the platform's brand (any Host header a
  // client invents would reach this line too, and must not crowd the real hosts out).
  if (hostname && hostname === platformHost) rememberHostBrand(hostname, platform);
  return platform;
}

const platformHost = normaliseHost(new URL(env.PANEL_URL).host);

async function brandOf(where: { resellerId: string } | { reseller: { isPlatform: true; parentId: null } }) {
  const brand = await db.brand.findFirst({
    where,
    // Never the logo bytes: only whether there is one, for the cache-busting URL.
    select: {
      resellerId: true,
      displayName: true,
      primaryColor: true,
      accentColor: true,
      supportEmail: true,
      logoUpdatedAt: true,
      reseller: { select: { isPlatform: true } },
    },
  });
  if (!brand) return null;
  const hasLogo =
    brand.logoUpdatedAt !== null &&
    (await db.brand.count({ where: { resellerId: brand.resellerId, logoPng: { not: null } } })) > 0;
  return {
    resellerId: brand.resellerId,
    displayName: brand.displayName,
    primaryColor: brand.primaryColor,
    accentColor: brand.accentColor,
    logoUrl: hasLogo ? `/brand-logo/${brand.resellerId}?v=${brand.logoUpdatedAt!.getTime()}` : null,
    supportEmail: brand.supportEmail,
    isPlatform: brand.reseller.isPlatform,
  } satisfies ResolvedBrand;
}
