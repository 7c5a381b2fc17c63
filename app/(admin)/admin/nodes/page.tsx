import { PageHeader } from "@/app/_components/page-header";
import { NodesTable } from "./_components/nodes-table";

export const metadata = { title: "Nodes" };

export default function NodesPage() {
  return (
    <>
      <PageHeader
        title="Nodes"
        description="The servers that make up the cluster. A new node stays pending until its agent reports in."
      />
      <NodesTable />
    </>
  );
}
