import { DomainView } from "./domain-view";

export const metadata = { title: "Domain" };

export default async function DomainPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <DomainView id={id} />;
}
