import { CustomersView } from "@/app/_components/customers/customers-view";

export const metadata = { title: "Customers" };

export default function ResellerCustomersPage() {
  return <CustomersView audience="reseller" />;
}
