import { NewCustomerForm } from "@/app/_components/customers/new-customer-form";

export const metadata = { title: "New customer" };

export default function NewAdminCustomerPage() {
  return <NewCustomerForm audience="admin" ownResellerId={null} />;
}
