import type { Metadata } from "next";
import { CenteredPage } from "@/app/_components/centered-page";
import { safeNextPath } from "@/server/auth/require-page-auth";
import { TwoFactorChallenge } from "./two-factor-challenge";

export const metadata: Metadata = { title: "Two-factor code" };

export default async function TwoFactorPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const next = safeNextPath((await searchParams).next) ?? "/";
  return (
    <CenteredPage>
      <TwoFactorChallenge next={next} />
    </CenteredPage>
  );
}
