import type { ReactNode } from "react";
import type { AuthState } from "@/server/auth/auth-state";
import { BrandMark } from "./brand-mark";
import { currentBrand, currentTheme } from "./current-brand";
import { ImpersonationBanner } from "./impersonation-banner";
import { ShellFrame, type NavItem } from "./shell-frame";
import { ThemeToggle } from "./theme-toggle";
import { UserMenu } from "./user-menu";

export type Audience = "admin" | "reseller" | "customer";

const navs: Record<Audience, NavItem[]> = {
  admin: [
    { href: "/admin/resellers", label: "Resellers", icon: "building" },
    { href: "/admin/customers", label: "Customers", icon: "users" },
    { href: "/admin/nodes", label: "Nodes", icon: "server" },
    { href: "/admin/cluster", label: "Cluster", icon: "map" },
    { href: "/admin/settings", label: "Limits", icon: "shield" },
    { href: "/admin/audit", label: "Audit log", icon: "list" },
    { href: "/admin/api-tokens", label: "API tokens", icon: "shield" },
  ],
  reseller: [
    { href: "/reseller/customers", label: "Customers", icon: "users" },
    { href: "/reseller/plans", label: "Plans", icon: "tag" },
    { href: "/reseller/sub-resellers", label: "Sub-resellers", icon: "network" },
    { href: "/reseller/brand", label: "Brand", icon: "palette" },
    { href: "/reseller/audit", label: "Audit log", icon: "list" },
    { href: "/reseller/api-tokens", label: "API tokens", icon: "shield" },
  ],
  customer: [
    { href: "/dashboard", label: "Dashboard", icon: "home" },
    { href: "/domains", label: "Domains", icon: "globe" },
    { href: "/sites", label: "Sites", icon: "window" },
    { href: "/databases", label: "Databases", icon: "database" },
    { href: "/api-tokens", label: "API tokens", icon: "shield" },
    { href: "/sftp", label: "SFTP", icon: "server" },
  ],
};

const audienceLabels: Record<Audience, string | null> = { admin: "Platform admin", reseller: "Reseller", customer: null };

/**
 * The branded frame of every signed-in page: sidebar, top bar, impersonation banner, main.
 * `notice` is an audience's own banner under it (the admin's control-plane status).
 */
export async function AppShell({ audience, auth, notice, children }: { audience: Audience; auth: AuthState; notice?: ReactNode; children: ReactNode }) {
  const [brand, theme] = await Promise.all([currentBrand(), currentTheme()]);
  return (
    <ShellFrame
      nav={navs[audience]}
      navLabel={audience === "customer" ? "Main" : `${audienceLabels[audience]}`}
      brandMark={<BrandMark brand={brand} />}
      audienceLabel={audienceLabels[audience]}
      banner={
        <>
          {auth.impersonator ? (
            <ImpersonationBanner
              userName={auth.user.name || auth.user.email}
              impersonatorName={auth.impersonator.name || auth.impersonator.email}
            />
          ) : null}
          {notice}
        </>
      }
      topBarEnd={
        <>
          <ThemeToggle initial={theme} />
          <UserMenu name={auth.user.name || auth.user.email} email={auth.user.email} />
        </>
      }
    >
      {children}
    </ShellFrame>
  );
}
