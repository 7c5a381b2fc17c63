import { redirect } from "next/navigation";
import { getPageAuth, roleHome } from "@/server/auth/require-page-auth";

export default async function Home() {
  const auth = await getPageAuth();
  if (!auth) redirect("/sign-in");
  if (auth.needsTwoFactorSetup) redirect("/two-factor/setup");
  redirect(roleHome[auth.user.role]);
}
