"use client";
import { useEffect, useState } from "react";
import { cx } from "./cx";
import { THEME_COOKIE, type ThemePreference } from "./theme";

const order: ThemePreference[] = ["system", "light", "dark"];
const labels: Record<ThemePreference, string> = { system: "System theme", light: "Light theme", dark: "Dark theme" };

function apply(pref: ThemePreference) {
  const root = document.documentElement;
  const dark = pref === "dark" || (pref === "system" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  root.classList.toggle("dark", dark);
  root.style.colorScheme = dark ? "dark" : "light";
  root.dataset.theme = pref;
}

/** Cycles system → light → dark. The choice lives in a cookie so the server renders it without a flash. */
export function ThemeToggle({ initial, className }: { initial: ThemePreference; className?: string }) {
  const [pref, setPref] = useState<ThemePreference>(initial);

  // Follow the OS while on "system".
  useEffect(() => {
    if (pref !== "system") return;
    const mq = window.matchMedia("(prefers-color-scheme: dark)");
    const onChange = () => apply("system");
    mq.addEventListener("change", onChange);
    return () => mq.removeEventListener("change", onChange);
  }, [pref]);

  function cycle() {
    const next = order[(order.indexOf(pref) + 1) % order.length]!;
    setPref(next);
    apply(next);
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${THEME_COOKIE}=${next}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  }

  return (
    <button
      type="button"
      onClick={cycle}
      aria-label={`${labels[pref]} (change theme)`}
      title={labels[pref]}
      className={cx(
        "inline-flex size-9 items-center justify-center rounded-lg text-zinc-500 hover:bg-zinc-100 hover:text-zinc-800",
        "focus-visible:outline-2 focus-visible:outline-brand dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100",
        className,
      )}
    >
      <svg aria-hidden="true" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.75" strokeLinecap="round" strokeLinejoin="round" className="size-5">
        {pref === "light" && (
          <>
            <circle cx="12" cy="12" r="4" />
            <path d="M12 2v2M12 20v2M4.93 4.93l1.41 1.41M17.66 17.66l1.41 1.41M2 12h2M20 12h2M4.93 19.07l1.41-1.41M17.66 6.34l1.41-1.41" />
          </>
        )}
        {pref === "dark" && <path d="M21 12.79A9 9 0 1 1 11.21 3 7 7 0 0 0 21 12.79z" />}
        {pref === "system" && (
          <>
            <rect x="3" y="4" width="18" height="12" rx="2" />
            <path d="M8 20h8M12 16v4" />
          </>
        )}
      </svg>
    </button>
  );
}
