"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { Button } from "@/app/_components/button";
import { Card, CardBody, CardHeader } from "@/app/_components/card";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { DataTable, useTableState, type Column } from "@/app/_components/data-table";
import { EmptyState } from "@/app/_components/empty-state";
import { PageHeader } from "@/app/_components/page-header";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { activeRefetchMs } from "../dashboard/_components/operation-progress";
import { useForgetStaleAccount, useSelectedAccount } from "../dashboard/_components/selected-account";
import { NewDatabaseForm } from "./new-database-form";

type Row = {
  id: string;
  name: string;
  pending: boolean;
  createdAt: Date;
  users: { id: string; username: string }[];
  site: { id: string; domain: { name: string; displayName: string } } | null;
};

export function DatabasesView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { accountId } = useSelectedAccount();
  const table = useTableState<"name" | "createdAt">({ sort: "name" });
  const q = useQuery({
    ...trpc.database.list.queryOptions({ ...table.page, sort: table.sort, accountId }),
    placeholderData: keepPreviousData,
    // A new database is applied within a second or two: follow it until no row is pending.
    refetchInterval: (query) => (query.state.data?.items.some((d) => d.pending) ? activeRefetchMs : false),
  });
  useForgetStaleAccount(q.error);
  // Only for the account's name prefix shown in the form's hint.
  const dash = useQuery(trpc.dashboard.get.queryOptions({ accountId }));
  const [deleting, setDeleting] = useState<Row | null>(null);
  const remove = useMutation(trpc.database.delete.mutationOptions());

  async function confirmDelete() {
    if (!deleting) return;
    await remove.mutateAsync({ id: deleting.id });
    toast({ title: `${deleting.name} is being removed`, tone: "success" });
    await Promise.all([
      queryClient.invalidateQueries(trpc.database.list.pathFilter()),
      queryClient.invalidateQueries(trpc.dashboard.get.pathFilter()),
    ]);
  }

  const columns: Column<Row, "name" | "createdAt">[] = [
    { key: "name", header: "Database", sortKey: "name", cell: (d) => <span className="font-mono">{d.name}</span> },
    {
      key: "users",
      header: "User",
      cell: (d) => <span className="font-mono text-zinc-600 dark:text-zinc-400">{d.users.map((u) => u.username).join(", ")}</span>,
    },
    {
      key: "site",
      header: "Used by",
      hideOnMobile: true,
      cell: (d) =>
        d.site ? (
          <Link href="/sites" className="hover:underline">
            {d.site.domain.displayName}
          </Link>
        ) : (
          <span className="text-zinc-400">-</span>
        ),
    },
    {
      key: "status",
      header: "Status",
      cell: (d) => <StatusBadge status={d.pending ? "PENDING" : "ACTIVE"} label={d.pending ? "Pending" : "Ready"} />,
    },
    { key: "createdAt", header: "Created", sortKey: "createdAt", hideOnMobile: true, cell: (d) => d.createdAt.toLocaleDateString() },
    {
      key: "actions",
      header: <span className="sr-only">Actions</span>,
      className: "text-right",
      cell: (d) =>
        d.site ? (
          <span className="text-xs text-zinc-500 dark:text-zinc-400">Deleted with its site</span>
        ) : (
          <Button variant="ghost" size="sm" onClick={() => setDeleting(d)} aria-label={`Delete ${d.name}`}>
            Delete
          </Button>
        ),
    },
  ];

  return (
    <>
      <PageHeader title="Databases" description="MariaDB databases for your sites and scripts." />
      <div className="flex flex-col gap-6">
        <Card>
          <CardHeader title="New database" />
          <CardBody>
            <NewDatabaseForm accountId={accountId} prefix={dash.data ? `${dash.data.account.username}_` : null} />
          </CardBody>
        </Card>
        <DataTable
          label="Databases"
          columns={columns}
          table={table}
          data={q.data}
          isLoading={q.isFetching}
          error={q.error}
          searchPlaceholder="Search databases"
          empty={<EmptyState title="No databases yet" description="Create one above, or install WordPress on a site." />}
        />
      </div>
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        title={deleting ? `Delete ${deleting.name}?` : "Delete database?"}
        description="The database, its data and its user are removed from the cluster."
        confirmLabel="Delete database"
        confirmText={deleting?.name}
        onConfirm={confirmDelete}
      />
    </>
  );
}
