"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Badge, StatusBadge } from "@/app/_components/badge";
import { Card, CardBody, CardHeader } from "@/app/_components/card";
import { DataTable, useTableState, type Column } from "@/app/_components/data-table";
import { EmptyState } from "@/app/_components/empty-state";
import { PageHeader } from "@/app/_components/page-header";
import { useTRPC } from "@/app/_components/trpc-provider";
import { DomainLabel } from "../dashboard/_components/domain-label";
import { useForgetStaleAccount, useSelectedAccount } from "../dashboard/_components/selected-account";
import { appLabels } from "../sites/app-labels";
import { AddDomainForm } from "./add-domain-form";

type Row = {
  id: string;
  name: string;
  displayName: string;
  pending: boolean;
  createdAt: Date;
  site: { id: string; app: keyof typeof appLabels } | null;
};

const columns: Column<Row, "name" | "createdAt">[] = [
  { key: "name", header: "Domain", sortKey: "name", cell: (d) => <DomainLabel domain={d} /> },
  {
    key: "site",
    header: "Site",
    cell: (d) => (d.site ? <Badge tone="brand">{appLabels[d.site.app]}</Badge> : <span className="text-zinc-500 dark:text-zinc-400">None</span>),
  },
  {
    key: "status",
    header: "Status",
    cell: (d) => <StatusBadge status={d.pending ? "PENDING" : "ACTIVE"} label={d.pending ? "Pending" : "Live"} />,
  },
  { key: "createdAt", header: "Added", sortKey: "createdAt", hideOnMobile: true, cell: (d) => d.createdAt.toLocaleDateString() },
];

export function DomainsView() {
  const trpc = useTRPC();
  const { accountId } = useSelectedAccount();
  const table = useTableState<"name" | "createdAt">({ sort: "name" });
  const q = useQuery({
    ...trpc.domain.list.queryOptions({ ...table.page, sort: table.sort, accountId }),
    placeholderData: keepPreviousData,
  });
  useForgetStaleAccount(q.error);

  return (
    <>
      <PageHeader title="Domains" description="The domain names this hosting account answers for." />
      <div className="flex flex-col gap-6">
        <Card>
          <CardHeader title="Add a domain" description="Point the domain's nameservers at us once it is added." />
          <CardBody>
            <AddDomainForm accountId={accountId} />
          </CardBody>
        </Card>
        <DataTable
          label="Domains"
          columns={columns}
          table={table}
          data={q.data}
          isLoading={q.isFetching}
          error={q.error}
          searchPlaceholder="Search domains"
          rowHref={(d) => `/domains/${d.id}`}
          empty={<EmptyState title="No domains yet" description="Add your first domain above." />}
        />
      </div>
    </>
  );
}
