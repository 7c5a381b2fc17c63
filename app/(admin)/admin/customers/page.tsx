import { CustomersView } from "@/app/(reseller)/reseller/customers/customers-view";

export const metadata = { title: "Customers" };

export default function AdminCustomersPage() {
  return <CustomersView audience="admin" />;
}
