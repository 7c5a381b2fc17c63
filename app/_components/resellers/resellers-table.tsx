"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { Button } from "@/app/_components/button";
import { DataTable, useTableState, type Column } from "@/app/_components/data-table";
import { EmptyState } from "@/app/_components/empty-state";
import { useTRPC } from "@/app/_components/trpc-provider";
import { CreateResellerDialog } from "./create-reseller-dialog";

type Row = {
  id: string;
  name: string;
  status: string;
  createdAt: Date;
  parent: { id: string; name: string } | null;
  hostnames: string[];
  subResellerCount: number;
  customerCount: number | null;
};
type Sort = "name" | "createdAt";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/**
 * The reseller list for both audiences: an admin's /admin/resellers and a reseller's
 * /reseller/sub-resellers (the server decides which rows each sees). With `parentId` it lists one
 * reseller's direct children, on that reseller's detail page, and offers no "New" button: new
 * resellers always go under the caller's own.
 */
export function ResellersTable({
  basePath,
  parentId,
  label = "Resellers",
  newLabel = "New reseller",
}: {
  basePath: string;
  parentId?: string;
  label?: string;
  newLabel?: string;
}) {
  const trpc = useTRPC();
  const table = useTableState<Sort>({ sort: "name" });
  const q = useQuery(trpc.reseller.list.queryOptions({ ...table.page, sort: table.sort, parentId }));
  const [creating, setCreating] = useState(false);

  const columns: Array<Column<Row, Sort>> = [
    { key: "name", header: "Name", sortKey: "name", cell: (r) => r.name },
    { key: "status", header: "Status", cell: (r) => <StatusBadge status={r.status} /> },
    ...(parentId
      ? []
      : [{ key: "parent", header: "Parent", hideOnMobile: true, cell: (r: Row) => r.parent?.name ?? "—" } satisfies Column<Row, Sort>]),
    {
      key: "hostnames",
      header: "Panel hostnames",
      hideOnMobile: true,
      cell: (r) => (r.hostnames.length > 0 ? <span className="font-mono text-xs">{r.hostnames.join(", ")}</span> : "—"),
    },
    { key: "subs", header: "Sub-resellers", hideOnMobile: true, cell: (r) => r.subResellerCount },
    { key: "created", header: "Created", sortKey: "createdAt", hideOnMobile: true, cell: (r) => dateFormat.format(r.createdAt) },
  ];

  return (
    <>
      <DataTable
        columns={columns}
        table={table}
        data={q.data}
        isLoading={q.isPending}
        error={q.error}
        label={label}
        searchPlaceholder="Search by name"
        rowHref={(r) => `${basePath}/${r.id}`}
        toolbar={parentId ? undefined : <Button onClick={() => setCreating(true)}>{newLabel}</Button>}
        empty={
          <EmptyState
            title={`No ${label.toLowerCase()} yet`}
            description={parentId ? "This reseller has not created any sub-resellers." : "Create one to give it its own branded panel."}
          />
        }
      />
      {!parentId && (
        <CreateResellerDialog open={creating} onClose={() => setCreating(false)} basePath={basePath} title={newLabel} />
      )}
    </>
  );
}
