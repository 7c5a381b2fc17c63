import { ResellerDetail } from "@/app/_components/resellers/reseller-detail";

export const metadata = { title: "Reseller" };

export default async function AdminResellerPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ResellerDetail id={id} basePath="/admin/resellers" listLabel="Resellers" />;
}
