import { ResellerDetail } from "@/app/_components/resellers/reseller-detail";

export const metadata = { title: "Sub-reseller" };

export default async function SubResellerPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ResellerDetail id={id} basePath="/reseller/sub-resellers" listLabel="Sub-resellers" />;
}
