import type { ReactNode } from "react";
import { AppShell } from "@/app/_components/app-shell";
import { requirePageAuth } from "@/server/auth/require-page-auth";

// Sub-resellers are RESELLER users too; they get the same pages, scoped to their own subtree.
export default async function ResellerLayout({ children }: { children: ReactNode }) {
  const auth = await requirePageAuth(["RESELLER"]);
  return (
    <AppShell audience="reseller" auth={auth}>
      {children}
    </AppShell>
  );
}
