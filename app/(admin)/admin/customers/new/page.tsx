import { NewCustomerForm } from "@/app/(reseller)/reseller/customers/new/new-customer-form";

export const metadata = { title: "New customer" };

export default function NewAdminCustomerPage() {
  return <NewCustomerForm audience="admin" ownResellerId={null} />;
}
