"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { LinkButton } from "@/app/_components/button";
import { DataTable, useTableState, type Column } from "@/app/_components/data-table";
import { EmptyState } from "@/app/_components/empty-state";
import { Select } from "@/app/_components/field";
import { PageHeader } from "@/app/_components/page-header";
import { useTRPC } from "@/app/_components/trpc-provider";

type Status = "ACTIVE" | "SUSPENDED" | "TERMINATED";
type Row = {
  id: string;
  name: string;
  email: string;
  company: string | null;
  status: Status;
  createdAt: Date;
  reseller: { id: string; name: string };
};

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** The customer list for admins (all customers) and resellers (their tree). */
export function CustomersView({ audience }: { audience: "admin" | "reseller" }) {
  const trpc = useTRPC();
  // The reseller column only helps when customers can belong to more than one reseller.
  const subs = useQuery({ ...trpc.reseller.list.queryOptions({ limit: 1 }), enabled: audience === "reseller" });
  const showReseller = audience === "admin" || (subs.data?.items.length ?? 0) > 0;
  const base = `/${audience}/customers`;
  const table = useTableState<"name" | "createdAt">({ sort: "name" });
  const [status, setStatus] = useState<Status | "">("");
  const q = useQuery(
    trpc.customer.list.queryOptions({ ...table.page, sort: table.sort, status: status === "" ? undefined : status }),
  );

  const columns: Column<Row, "name" | "createdAt">[] = [
    {
      key: "name",
      header: "Name",
      sortKey: "name",
      cell: (c) => (
        <span className="flex flex-col">
          <span>{c.name}</span>
          {c.company && <span className="text-xs font-normal text-zinc-500 dark:text-zinc-400">{c.company}</span>}
        </span>
      ),
    },
    { key: "email", header: "Email", cell: (c) => c.email, hideOnMobile: true },
    ...(showReseller ? [{ key: "reseller", header: "Reseller", cell: (c: Row) => c.reseller.name, hideOnMobile: true }] : []),
    { key: "status", header: "Status", cell: (c) => <StatusBadge status={c.status} /> },
    { key: "createdAt", header: "Created", sortKey: "createdAt", cell: (c) => dateFormat.format(c.createdAt), hideOnMobile: true },
  ];

  return (
    <>
      <PageHeader
        title="Customers"
        description={audience === "admin" ? "Every customer on the platform." : "Your customers and your sub-resellers' customers."}
        actions={
          <LinkButton href={`${base}/new`} variant="primary">
            New customer
          </LinkButton>
        }
      />
      <DataTable
        label="Customers"
        columns={columns}
        table={table}
        data={q.data}
        isLoading={q.isFetching}
        error={q.error}
        searchPlaceholder="Search name or email"
        rowHref={(c) => `${base}/${c.id}`}
        toolbar={
          <Select
            aria-label="Filter by status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as Status | "");
              // Re-applying the same search resets the pager to the first page.
              table.setSearch(table.search);
            }}
            className="h-9 w-40"
          >
            <option value="">All statuses</option>
            <option value="ACTIVE">Active</option>
            <option value="SUSPENDED">Suspended</option>
            <option value="TERMINATED">Terminated</option>
          </Select>
        }
        empty={
          <EmptyState
            title="No customers yet"
            description="Create a customer to give them a hosting account and a login."
            action={
              <LinkButton href={`${base}/new`} variant="primary" size="sm">
                New customer
              </LinkButton>
            }
          />
        }
      />
    </>
  );
}
