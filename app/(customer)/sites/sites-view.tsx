"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Badge, StatusBadge } from "@/app/_components/badge";
import { Button, buttonClasses } from "@/app/_components/button";
import { Card, CardBody, CardHeader } from "@/app/_components/card";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { DataTable, useTableState, type Column } from "@/app/_components/data-table";
import { EmptyState } from "@/app/_components/empty-state";
import { PageHeader } from "@/app/_components/page-header";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { DomainLabel } from "../dashboard/_components/domain-label";
import { activeRefetchMs, isActive, OperationProgress, type OperationLike } from "../dashboard/_components/operation-progress";
import { useForgetStaleAccount, useSelectedAccount } from "../dashboard/_components/selected-account";
import { AppAdminDialog, type AppAdminLogin } from "./app-admin-dialog";
import { appLabels, type SiteAppKey } from "./app-labels";
import { NewSiteForm } from "./new-site-form";
import { formatSize } from "./snapshot-format";
import { SnapshotsDialog } from "./snapshots-dialog";

type Row = {
  id: string;
  app: SiteAppKey;
  documentRoot: string;
  phpVersion: string;
  status: string;
  pending: boolean;
  url: string;
  appAdminShownAt: Date | null;
  appAdminRevealable: boolean;
  divergentAt: Date | null;
  domain: { id: string; name: string; displayName: string };
  databases: { id: string; name: string }[];
  latestOperation: OperationLike | null;
  usage: { filesBytes: number; databaseBytes: number; snapshotBytes: number; totalBytes: number; measuredAt: Date } | null;
};

const shownFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** Serving its current spec with nothing in flight: what the "Live" badge says, and when "Open site" makes sense. */
function isLive(s: Pick<Row, "status" | "pending" | "latestOperation">): boolean {
  return s.status === "ACTIVE" && !s.pending && !isActive(s.latestOperation);
}

export function SitesView({ initialDomainId }: { initialDomainId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { accountId } = useSelectedAccount();
  const table = useTableState({ sort: "createdAt", direction: "desc", limit: 10 });
  const q = useQuery({
    ...trpc.site.list.queryOptions({ ...table.page, accountId }),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items.some((s) => isActive(s.latestOperation)) ? activeRefetchMs : false),
  });
  useForgetStaleAccount(q.error);
  // The same query as the new-site form's (one request): with no domain there is no form to point at.
  const domains = useQuery(trpc.domain.list.queryOptions({ accountId, limit: 100, sort: "name" }));
  const noDomains = domains.isSuccess && domains.data.items.length === 0;
  const [deleting, setDeleting] = useState<Row | null>(null);
  const [snapshotsOf, setSnapshotsOf] = useState<Row | null>(null);
  const remove = useMutation(trpc.site.delete.mutationOptions());
  const [shown, setShown] = useState<{ site: Row; login: AppAdminLogin } | null>(null);
  const reveal = useMutation(
    trpc.site.revealAppAdmin.mutationOptions({
      onSuccess: async (login, { id }) => {
        const site = q.data?.items.find((s) => s.id === id);
        if (site) setShown({ site, login });
        // The row now says when it was shown; the login itself lives only in `shown`.
        await queryClient.invalidateQueries(trpc.site.pathFilter());
      },
      onError: async (error) => {
        toast({ title: "The admin login cannot be shown", description: error.message, tone: "error" });
        await queryClient.invalidateQueries(trpc.site.pathFilter());
      },
    }),
  );
  function closeLogin() {
    setShown(null);
    reveal.reset();
  }

  async function confirmDelete() {
    if (!deleting) return;
    await remove.mutateAsync({ id: deleting.id });
    toast({ title: `The site on ${deleting.domain.displayName} is being removed`, tone: "success" });
    await Promise.all([
      queryClient.invalidateQueries(trpc.site.list.pathFilter()),
      queryClient.invalidateQueries(trpc.domain.list.pathFilter()),
      queryClient.invalidateQueries(trpc.database.list.pathFilter()),
      queryClient.invalidateQueries(trpc.dashboard.get.pathFilter()),
    ]);
  }

  const columns: Column<Row>[] = [
    {
      key: "domain",
      header: "Site",
      cell: (s) => (
        <div className="flex flex-col gap-1">
          <span className="font-medium text-zinc-900 dark:text-zinc-100">
            <DomainLabel domain={s.domain} />
          </span>
          <span className="flex flex-wrap items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400">
            <Badge tone="brand">{appLabels[s.app]}</Badge>
            PHP {s.phpVersion} · <span className="font-mono">{s.documentRoot}/</span>
            {s.databases.length > 0 && <> · database {s.databases.map((d) => d.name).join(", ")}</>}
          </span>
          {s.appAdminShownAt && (
            <span className="text-xs text-zinc-600 dark:text-zinc-400">Admin login shown on {shownFormat.format(s.appAdminShownAt)}</span>
          )}
          {s.divergentAt && (
            <span role="status" className="text-xs text-amber-800 dark:text-amber-300">
              A server that hosted this site came back with changes the running site does not have; they were kept as a
              divergent copy on {shownFormat.format(s.divergentAt)}. See Snapshots to compare and restore it.
            </span>
          )}
        </div>
      ),
    },
    {
      key: "status",
      header: "Status",
      hideOnMobile: true,
      cell: (s) =>
        s.status !== "ACTIVE" ? <StatusBadge status={s.status} /> : <StatusBadge status={s.pending ? "PENDING" : "ACTIVE"} label={s.pending ? "Pending" : "Live"} />,
    },
    {
      key: "disk",
      header: "Disk",
      hideOnMobile: true,
      cell: (s) =>
        s.usage ? (
          <div className="flex flex-col text-xs text-zinc-600 dark:text-zinc-400">
            <span className="text-sm font-medium tabular-nums text-zinc-900 dark:text-zinc-100">{formatSize(s.usage.totalBytes)}</span>
            <span>
              files {formatSize(s.usage.filesBytes)}, databases {formatSize(s.usage.databaseBytes)}, snapshots{" "}
              {formatSize(s.usage.snapshotBytes)}
            </span>
          </div>
        ) : (
          <span className="text-xs text-zinc-500 dark:text-zinc-400">Not measured yet</span>
        ),
    },
    {
      key: "progress",
      header: "Progress",
      className: "w-80",
      cell: (s) => (s.latestOperation ? <OperationProgress op={s.latestOperation} compact /> : <span className="text-zinc-400">-</span>),
    },
    {
      key: "actions",
      header: <span className="sr-only">Actions</span>,
      className: "text-right",
      cell: (s) => (
        <div className="flex flex-wrap justify-end gap-1 max-sm:justify-start">
          {isLive(s) && (
            <a
              href={s.url}
              target="_blank"
              rel="noopener noreferrer"
              className={buttonClasses("ghost", "sm")}
              aria-label={`Open site ${s.domain.displayName} (opens in a new tab)`}
            >
              Open site
            </a>
          )}
          {isLive(s) && (
            <Button variant="ghost" size="sm" onClick={() => setSnapshotsOf(s)} aria-label={`Snapshots of ${s.domain.displayName}`}>
              Snapshots
            </Button>
          )}
          {s.appAdminRevealable && (
            <Button
              variant="secondary"
              size="sm"
              loading={reveal.isPending && reveal.variables?.id === s.id}
              disabled={reveal.isPending}
              onClick={() => reveal.mutate({ id: s.id })}
              aria-label={`Show admin login for ${appLabels[s.app]} on ${s.domain.displayName}`}
            >
              Show admin login
            </Button>
          )}
          <Button variant="ghost" size="sm" onClick={() => setDeleting(s)} aria-label={`Delete the site on ${s.domain.displayName}`}>
            Delete
          </Button>
        </div>
      ),
    },
  ];

  return (
    <>
      <PageHeader title="Sites" description="Websites on your domains. Each change shows its steps as the cluster carries it out." />
      <div className="flex flex-col gap-6">
        <Card>
          <CardHeader title="New site" description="Pick a domain and what to install on it." />
          <CardBody>
            <NewSiteForm accountId={accountId} initialDomainId={initialDomainId} />
          </CardBody>
        </Card>
        <DataTable
          label="Sites"
          columns={columns}
          table={table}
          data={q.data}
          isLoading={q.isFetching && !q.data}
          error={q.error}
          searchPlaceholder="Search by domain"
          empty={
            <EmptyState
              title="No sites yet"
              description={noDomains ? "Add a domain on the Domains page first; its site is created here." : "Create your first site above."}
            />
          }
        />
      </div>
      <AppAdminDialog
        login={shown?.login ?? null}
        appLabel={shown ? appLabels[shown.site.app] : ""}
        siteName={shown?.site.domain.displayName ?? ""}
        onClose={closeLogin}
      />
      <SnapshotsDialog site={snapshotsOf} onClose={() => setSnapshotsOf(null)} />
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        title={deleting ? `Delete the site on ${deleting.domain.displayName}?` : "Delete site?"}
        description={
          deleting && deleting.databases.length > 0
            ? `Its files and its database (${deleting.databases.map((d) => d.name).join(", ")}) are removed from the cluster.`
            : "Its files are removed from the cluster. The domain stays."
        }
        confirmLabel="Delete site"
        confirmText={deleting?.domain.displayName}
        onConfirm={confirmDelete}
      />
    </>
  );
}
