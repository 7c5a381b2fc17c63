import { PageHeader } from "@/app/_components/page-header";
import { ClusterMap } from "./_components/cluster-map";
import { SitePins } from "./_components/site-pins";

export const metadata = { title: "Cluster" };

export default function ClusterPage() {
  return (
    <>
      <PageHeader
        title="Cluster"
        description="Every node with its health and load, and every site on the node that serves it, with its replicas. Updates live."
      />
      <ClusterMap />
      <div className="mt-6">
        <SitePins />
      </div>
    </>
  );
}
