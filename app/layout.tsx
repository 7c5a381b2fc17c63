import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { brandStyle, currentBrand, currentTheme } from "./_components/current-brand";
import { systemThemeScript } from "./_components/theme";
import { ToastProvider } from "./_components/toast";
import { TrpcProvider } from "./_components/trpc-provider";
import "./globals.css";

export async function generateMetadata(): Promise<Metadata> {
  const brand = await currentBrand();
  return {
    // Pages export `metadata = { title: "Customers" }` and get "Customers · <brand>"; a reseller's
    // customers never see the platform's name.
    title: { default: brand.displayName, template: `%s · ${brand.displayName}` },
    applicationName: brand.displayName,
    robots: { index: false, follow: false },
    icons: brand.logoUrl ? { icon: brand.logoUrl } : { icon: "/favicon.svg" },
  };
}

export async function generateViewport(): Promise<Viewport> {
  const brand = await currentBrand();
  return { themeColor: brandStyle(brand)["--brand"] };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const [brand, theme] = await Promise.all([currentBrand(), currentTheme()]);
  const dark = theme === "dark";
  return (
    <html
      lang="en"
      data-theme={theme}
      className={dark ? "dark" : undefined}
      style={{ ...brandStyle(brand), colorScheme: dark ? "dark" : "light" }}
      // The "system" script and the toggle change class/style before React hydrates.
      suppressHydrationWarning
    >
      <head>{theme === "system" && <script dangerouslySetInnerHTML={{ __html: systemThemeScript }} />}</head>
      <body className="min-h-dvh">
        <a
          href="#main"
          className="sr-only z-50 rounded-lg bg-brand px-4 py-2 text-sm font-medium text-brand-fg focus:not-sr-only focus:fixed focus:top-3 focus:left-3"
        >
          Skip to content
        </a>
        <TrpcProvider>
          <ToastProvider>{children}</ToastProvider>
        </TrpcProvider>
      </body>
    </html>
  );
}
