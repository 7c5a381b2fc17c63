import type { ReactNode } from "react";
import { AppShell } from "@/app/_components/app-shell";
import { requirePageAuth } from "@/server/auth/require-page-auth";
import { ControlPlaneBanner } from "./_components/control-plane-banner";

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const auth = await requirePageAuth(["ADMIN"]);
  return (
    <AppShell audience="admin" auth={auth} notice={<ControlPlaneBanner />}>
      {children}
    </AppShell>
  );
}
