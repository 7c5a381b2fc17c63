import { getPageAuth } from "@/server/auth/require-page-auth";
import { NewCustomerForm } from "@/app/_components/customers/new-customer-form";

export const metadata = { title: "New customer" };

export default async function NewResellerCustomerPage() {
  // The layout has already required a reseller; its own id picks the default plans.
  const auth = await getPageAuth();
  return <NewCustomerForm audience="reseller" ownResellerId={auth?.user.resellerId ?? null} />;
}
