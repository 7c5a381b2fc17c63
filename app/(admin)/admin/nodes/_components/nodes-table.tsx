"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { Button } from "@/app/_components/button";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { DataTable, useTableState, type Column } from "@/app/_components/data-table";
import { EmptyState } from "@/app/_components/empty-state";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { NodeFormDialog, type NodeRow } from "./node-form-dialog";

type Sort = "name" | "createdAt";

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

function formatMb(mb: number): string {
  return mb >= 1024 * 1024 ? `${(mb / 1024 / 1024).toFixed(1)} TB` : mb >= 1024 ? `${Math.round(mb / 1024)} GB` : `${mb} MB`;
}

export function NodesTable() {
  const trpc = useTRPC();
  const table = useTableState<Sort>({ sort: "name" });
  const q = useQuery({
    ...trpc.node.list.queryOptions({ ...table.page, sort: table.sort }),
    // Status and heartbeats change without anyone touching this page.
    refetchInterval: 15_000,
  });
  const [editing, setEditing] = useState<NodeRow | "new" | null>(null);
  const [removing, setRemoving] = useState<NodeRow | null>(null);

  const columns: Array<Column<NodeRow, Sort>> = [
    { key: "name", header: "Name", sortKey: "name", cell: (n) => <span className="font-medium text-zinc-900 dark:text-zinc-100">{n.name}</span> },
    { key: "status", header: "Status", cell: (n) => <StatusBadge status={n.status} /> },
    {
      key: "address",
      header: "Agent",
      hideOnMobile: true,
      cell: (n) => <span className="font-mono text-xs">{n.address.includes(":") ? `[${n.address}]` : n.address}:{n.agentPort}</span>,
    },
    {
      key: "heartbeat",
      header: "Last heartbeat",
      hideOnMobile: true,
      cell: (n) => (n.lastHeartbeatAt ? timeFormat.format(n.lastHeartbeatAt) : "never"),
    },
    { key: "sites", header: "Sites", cell: (n) => `${n.siteCount} / ${n.capacitySites}` },
    {
      key: "capacity",
      header: "Capacity",
      hideOnMobile: true,
      cell: (n) => `${n.capacityCpus} CPU · ${formatMb(n.capacityMemoryMb)} RAM · ${formatMb(n.capacityDiskMb)} disk`,
    },
    {
      key: "actions",
      header: <span className="sr-only">Actions</span>,
      className: "text-right",
      cell: (n) => (
        <div className="flex justify-end gap-1">
          <Button variant="ghost" size="sm" onClick={() => setEditing(n)} aria-label={`Edit ${n.name}`}>
            Edit
          </Button>
          <Button variant="ghost" size="sm" onClick={() => setRemoving(n)} aria-label={`Remove ${n.name}`}>
            Remove
          </Button>
        </div>
      ),
    },
  ];

  return (
    <>
      <DataTable
        columns={columns}
        table={table}
        data={q.data}
        isLoading={q.isPending}
        error={q.error}
        label="Nodes"
        searchPlaceholder="Search by name"
        toolbar={<Button onClick={() => setEditing("new")}>Register node</Button>}
        empty={<EmptyState title="No nodes yet" description="Register the first server to start placing sites." />}
      />
      <NodeFormDialog
        open={editing !== null}
        node={editing === "new" ? null : editing}
        onClose={() => setEditing(null)}
      />
      <RemoveNodeDialog node={removing} onClose={() => setRemoving(null)} />
    </>
  );
}

function RemoveNodeDialog({ node, onClose }: { node: NodeRow | null; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const remove = useMutation(
    trpc.node.remove.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.node.pathFilter());
        toast({ title: `${node?.name ?? "Node"} removed`, tone: "success" });
      },
    }),
  );
  return (
    <ConfirmDialog
      open={node !== null}
      onClose={onClose}
      title={`Remove ${node?.name ?? ""}?`}
      description="The node leaves the cluster. This is only possible once no site is placed on it."
      confirmText={node?.name}
      confirmLabel="Remove node"
      onConfirm={() => (node ? remove.mutateAsync({ id: node.id }) : undefined)}
    />
  );
}
