import { ResellersTable } from "@/app/_components/resellers/resellers-table";
import { PageHeader } from "@/app/_components/page-header";

export const metadata = { title: "Sub-resellers" };

export default function SubResellersPage() {
  return (
    <>
      <PageHeader
        title="Sub-resellers"
        description="Resellers you host under your own account, and theirs in turn. Each has its own brand and customers."
      />
      <ResellersTable basePath="/reseller/sub-resellers" label="Sub-resellers" newLabel="New sub-reseller" />
    </>
  );
}
