import { PageHeader } from "@/app/_components/page-header";
import { PlatformSettingsForm } from "./_components/platform-settings-form";

export const metadata = { title: "Limits and egress" };

export default function SettingsPage() {
  return (
    <>
      <PageHeader
        title="Limits and egress"
        description="The most a reseller may put in a plan, and where customers' code may connect beyond the internet."
      />
      <PlatformSettingsForm />
    </>
  );
}
