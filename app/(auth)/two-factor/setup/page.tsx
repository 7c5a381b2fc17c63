import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { CenteredPage } from "@/app/_components/centered-page";
import { getPageAuth } from "@/server/auth/require-page-auth";
import { TwoFactorSetup } from "./two-factor-setup";

export const metadata: Metadata = { title: "Set up two-factor authentication" };

export default async function TwoFactorSetupPage() {
  const auth = await getPageAuth();
  if (!auth) redirect("/sign-in?next=%2Ftwo-factor%2Fsetup");
  if (auth.user.twoFactorEnabled) redirect("/account/security");
  return (
    <CenteredPage wide>
      <TwoFactorSetup required={auth.needsTwoFactorSetup} />
    </CenteredPage>
  );
}
