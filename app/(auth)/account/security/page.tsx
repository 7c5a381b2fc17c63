import type { Metadata } from "next";
import { CenteredPage } from "@/app/_components/centered-page";
import { requirePageAuth } from "@/server/auth/require-page-auth";
import { SecuritySettings } from "./security-settings";

export const metadata: Metadata = { title: "Security" };

export default async function SecurityPage() {
  const auth = await requirePageAuth(["ADMIN", "RESELLER", "CUSTOMER"]);
  return (
    <CenteredPage wide>
      <SecuritySettings
        enabled={auth.user.twoFactorEnabled}
        // Admins and resellers must keep their second factor; only customers may switch it off.
        mayDisable={auth.user.role === "CUSTOMER"}
      />
    </CenteredPage>
  );
}
