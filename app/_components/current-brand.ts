import { cookies, headers } from "next/headers";
import { cache } from "react";
import { getPageAuth } from "@/server/auth/require-page-auth";
import { parseHexColour, contrastRatio } from "@/server/domain/colour";
import { resolveBrand, type ResolvedBrand } from "@/server/services/brand/resolve-brand";
import { THEME_COOKIE, parseTheme, type ThemePreference } from "./theme";

/** The brand for this request (host first, then the signed-in user's reseller, then the platform). */
export const currentBrand = cache(async (): Promise<ResolvedBrand> => {
  const [h, auth] = await Promise.all([headers(), getPageAuth()]);
  return resolveBrand(h.get("host"), auth);
});

export const currentTheme = cache(async (): Promise<ThemePreference> => {
  return parseTheme((await cookies()).get(THEME_COOKIE)?.value);
});

const DARK_TEXT = "#111827";
const LIGHT_TEXT = "#ffffff";

function colourOr(value: string, fallback: string): string {
  const parsed = parseHexColour(value);
  return parsed.ok ? parsed.value : fallback;
}

/** White or near-black, whichever reads better on `background` (WCAG contrast). */
export function readableOn(background: string): string {
  return contrastRatio(background, LIGHT_TEXT) >= contrastRatio(background, DARK_TEXT) ? LIGHT_TEXT : DARK_TEXT;
}

/**
 * The CSS variables globals.css maps to bg-brand, text-brand-fg, ... Colours are re-parsed so a
 * malformed stored value can never smuggle other CSS into the style attribute.
 */
export function brandStyle(brand: ResolvedBrand): Record<string, string> {
  const primary = colourOr(brand.primaryColor, "#0f766e");
  const accent = colourOr(brand.accentColor, "#f59e0b");
  return {
    "--brand": primary,
    "--brand-fg": readableOn(primary),
    "--brand-accent": accent,
    "--brand-accent-fg": readableOn(accent),
  };
}
