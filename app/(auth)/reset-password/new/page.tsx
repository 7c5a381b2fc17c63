import type { Metadata } from "next";
import { CenteredPage } from "@/app/_components/centered-page";
import { NewPasswordForm } from "./new-password-form";

export const metadata: Metadata = { title: "Choose a password" };

export default async function NewPasswordPage({ searchParams }: { searchParams: Promise<{ token?: string }> }) {
  const token = (await searchParams).token ?? "";
  return (
    <CenteredPage>
      <NewPasswordForm token={/^[A-Za-z0-9_-]{16,128}$/.test(token) ? token : null} />
    </CenteredPage>
  );
}
