import { DomainsView } from "./domains-view";

export const metadata = { title: "Domains" };

export default function DomainsPage() {
  return <DomainsView />;
}
