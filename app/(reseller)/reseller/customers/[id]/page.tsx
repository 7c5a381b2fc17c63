import { CustomerDetail } from "@/app/_components/customers/customer-detail";

export const metadata = { title: "Customer" };

export default async function ResellerCustomerPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <CustomerDetail id={id} audience="reseller" />;
}
