// Shared by the root layout (server: reads the cookie so the first paint has the right class) and
// the toggle (client: writes it).
export const THEME_COOKIE = "panel-theme";
export type ThemePreference = "light" | "dark" | "system";

export function parseTheme(value: string | undefined | null): ThemePreference {
  return value === "light" || value === "dark" ? value : "system";
}

/**
 * For "system" the server cannot know the answer, so this runs in <head> before the body paints.
 * Static text (no user input), so inlining it is safe.
 */
export const systemThemeScript =
  "(function(){try{var d=document.documentElement;if(d.dataset.theme==='system'&&window.matchMedia('(prefers-color-scheme: dark)').matches){d.classList.add('dark');d.style.colorScheme='dark';}}catch(e){}})();";
