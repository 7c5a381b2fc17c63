import type { ReactNode } from "react";
import { BrandMark } from "./brand-mark";
import { currentBrand, currentTheme } from "./current-brand";
import { ThemeToggle } from "./theme-toggle";

/**
 * The branded frame for pages outside the app shell (sign-in, two-factor, password reset, not
 * found): the brand on top, one centred column, the support address at the bottom.
 */
export async function CenteredPage({ children, wide = false }: { children: ReactNode; wide?: boolean }) {
  const [brand, theme] = await Promise.all([currentBrand(), currentTheme()]);
  return (
    <div className="flex min-h-dvh flex-col">
      <div className="flex justify-end p-4">
        <ThemeToggle initial={theme} />
      </div>
      <main id="main" tabIndex={-1} className="flex flex-1 flex-col items-center px-4 pt-4 pb-16 outline-none sm:pt-12">
        <div className="mb-8 flex justify-center">
          <BrandMark brand={brand} className="[&_img]:h-10" />
        </div>
        <div className={wide ? "w-full max-w-xl" : "w-full max-w-sm"}>{children}</div>
      </main>
      {brand.supportEmail && (
        <footer className="pb-6 text-center text-xs text-zinc-500 dark:text-zinc-400">
          Need help?{" "}
          <a href={`mailto:${brand.supportEmail}`} className="font-medium text-zinc-700 underline-offset-2 hover:underline dark:text-zinc-300">
            {brand.supportEmail}
          </a>
        </footer>
      )}
    </div>
  );
}
