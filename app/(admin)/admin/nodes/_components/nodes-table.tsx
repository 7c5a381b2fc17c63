"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/app/_components/button";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { DataTable, useTableState, type Column } from "@/app/_components/data-table";
import { EmptyState } from "@/app/_components/empty-state";
import { NodeHealthBadge } from "@/app/_components/node-health-badge";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { NodeFormDialog, type NodeRow } from "./node-form-dialog";
import type { z } from "zod";
import type { nodeLoadOutput } from "@/server/trpc/routers/node/register-node.schema";

type Sort = "name" | "createdAt";

/** What node.list adds to the editable fields: the last heartbeat's figures, parsed on the server. */
type LiveNodeRow = NodeRow & {
  heartbeatAgeSec: number | null;
  silentSec: number | null;
  lastError: string | null;
  load: z.infer<typeof nodeLoadOutput> | null;
};

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

function formatMb(mb: number): string {
  return mb >= 1024 * 1024 ? `${(mb / 1024 / 1024).toFixed(1)} TB` : mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${mb} MB`;
}

/** "2 s ago", "4 min ago": the age the server measured, so a browser's clock cannot skew it. */
function formatAge(sec: number): string {
  if (sec < 60) return `${sec} s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ago`;
  if (sec < 86_400) return `${Math.floor(sec / 3600)} h ago`;
  return `${Math.floor(sec / 86_400)} d ago`;
}

const statusWords = [
  ["HEALTHY", "healthy"],
  ["DEGRADED", "degraded"],
  ["DEAD", "dead"],
  ["DRAINING", "draining"],
  ["PENDING", "pending"],
] as const;

/**
 * "3 nodes · 3 healthy · 12 sites"; other states appear only when some node is in them, and
 * nodes silent past the suspect window count as "without heartbeat", never as healthy.
 */
function fleetLine(summary: { nodes: number; byStatus: Record<string, number>; silent: number; sites: number }): string {
  const parts = [`${summary.nodes} ${summary.nodes === 1 ? "node" : "nodes"}`];
  for (const [status, word] of statusWords) {
    const n = summary.byStatus[status] ?? 0;
    if (status === "HEALTHY" || n > 0) parts.push(`${n} ${word}`);
  }
  if (summary.silent > 0) parts.push(`${summary.silent} without heartbeat`);
  parts.push(`${summary.sites} ${summary.sites === 1 ? "site" : "sites"}`);
  return parts.join(" · ");
}

const none = <span className="text-zinc-500 dark:text-zinc-400">-</span>;

export function NodesTable() {
  const trpc = useTRPC();
  const table = useTableState<Sort>({ sort: "name" });
  const q = useQuery({
    ...trpc.node.list.queryOptions({ ...table.page, sort: table.sort }),
    // Heartbeats arrive twice a second: the page is a live view of the fleet.
    refetchInterval: 2000,
  });
  const [editing, setEditing] = useState<NodeRow | "new" | null>(null);
  const [removing, setRemoving] = useState<NodeRow | null>(null);

  const columns: Array<Column<LiveNodeRow, Sort>> = [
    { key: "name", header: "Name", sortKey: "name", cell: (n) => <span className="font-medium text-zinc-900 dark:text-zinc-100">{n.name}</span> },
    { key: "status", header: "Status", cell: (n) => <NodeHealthBadge status={n.status} silentSec={n.silentSec} /> },
    {
      key: "address",
      header: "Agent",
      hideOnMobile: true,
      cell: (n) => <span className="font-mono text-xs">{n.address.includes(":") ? `[${n.address}]` : n.address}:{n.agentPort}</span>,
    },
    {
      key: "heartbeat",
      header: "Last heartbeat",
      cell: (n) =>
        n.lastHeartbeatAt && n.heartbeatAgeSec !== null ? (
          <time dateTime={n.lastHeartbeatAt.toISOString()} title={timeFormat.format(n.lastHeartbeatAt)} className="tabular-nums">
            {formatAge(n.heartbeatAgeSec)}
          </time>
        ) : (
          "never"
        ),
    },
    {
      key: "cpu",
      header: "CPU",
      hideOnMobile: true,
      cell: (n) =>
        n.load ? (
          <span className="tabular-nums" title={`${n.load.cores} ${n.load.cores === 1 ? "core" : "cores"}, 1-minute load ${n.load.load1.toFixed(2)}`}>
            {Math.round(n.load.cpuPct)}%<span className="text-zinc-500 dark:text-zinc-400"> · load {n.load.load1.toFixed(2)}</span>
          </span>
        ) : (
          none
        ),
    },
    {
      key: "memory",
      header: "Memory",
      hideOnMobile: true,
      cell: (n) => (n.load ? <span className="tabular-nums">{formatMb(n.load.memoryUsedMb)} / {formatMb(n.load.memoryTotalMb)}</span> : none),
    },
    {
      key: "disk",
      header: "Disk",
      hideOnMobile: true,
      cell: (n) => (n.load ? <span className="tabular-nums">{formatMb(n.load.diskUsedMb)} / {formatMb(n.load.diskTotalMb)}</span> : none),
    },
    {
      key: "sites",
      header: "Sites",
      cell: (n) => (
        <span className="tabular-nums" title={`Capacity ${n.capacitySites} sites`}>
          {n.siteCount}
          {n.load && n.load.requestsPerSec > 0 && (
            <span className="block text-xs text-zinc-500 dark:text-zinc-400">{n.load.requestsPerSec.toFixed(1)} req/s</span>
          )}
        </span>
      ),
    },
    {
      key: "error",
      header: "Last error",
      hideOnMobile: true,
      cell: (n) =>
        n.lastError ? (
          <span className="block max-w-56 truncate text-xs text-red-700 dark:text-red-400" title={n.lastError}>
            {n.lastError}
          </span>
        ) : (
          none
        ),
    },
    {
      key: "actions",
      header: <span className="sr-only">Actions</span>,
      className: "text-right",
      cell: (n) => (
        <div className="flex flex-wrap justify-end gap-1 max-sm:justify-start">
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
      {q.data && <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">{fleetLine(q.data.summary)}</p>}
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
