import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { CenteredPage } from "@/app/_components/centered-page";
import { getPageAuth, safeNextPath } from "@/server/auth/require-page-auth";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const next = safeNextPath((await searchParams).next) ?? "/";
  if (await getPageAuth()) redirect(next);
  return (
    <CenteredPage>
      <SignInForm next={next} />
    </CenteredPage>
  );
}
