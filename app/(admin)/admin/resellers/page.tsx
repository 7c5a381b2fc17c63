import { PageHeader } from "@/app/_components/page-header";
import { ResellersTable } from "@/app/_components/resellers/resellers-table";

export const metadata = { title: "Resellers" };

export default function AdminResellersPage() {
  return (
    <>
      <PageHeader title="Resellers" description="Every reseller on the platform, with their sub-resellers." />
      <ResellersTable basePath="/admin/resellers" />
    </>
  );
}
