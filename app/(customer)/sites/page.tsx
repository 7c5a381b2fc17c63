import { SitesView } from "./sites-view";

export const metadata = { title: "Sites" };

export default async function SitesPage({ searchParams }: { searchParams: Promise<{ domain?: string | string[] }> }) {
  const { domain } = await searchParams;
  return <SitesView initialDomainId={typeof domain === "string" ? domain : undefined} />;
}
