import type { Metadata } from "next";
import { CenteredPage } from "@/app/_components/centered-page";
import { ResetRequestForm } from "./reset-request-form";

export const metadata: Metadata = { title: "Reset your password" };

export default function ResetPasswordPage() {
  return (
    <CenteredPage>
      <ResetRequestForm />
    </CenteredPage>
  );
}
