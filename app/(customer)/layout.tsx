import type { ReactNode } from "react";
import { AppShell } from "@/app/_components/app-shell";
import { requirePageAuth } from "@/server/auth/require-page-auth";

export default async function CustomerLayout({ children }: { children: ReactNode }) {
  const auth = await requirePageAuth(["CUSTOMER"]);
  return (
    <AppShell audience="customer" auth={auth}>
      {children}
    </AppShell>
  );
}
