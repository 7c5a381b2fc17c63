"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { notFound, useRouter } from "next/navigation";
import { useState } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { Button, LinkButton } from "@/app/_components/button";
import { Card, CardBody, CardHeader, DetailList } from "@/app/_components/card";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { EmptyState } from "@/app/_components/empty-state";
import { FormError } from "@/app/_components/form-error";
import { PageHeader } from "@/app/_components/page-header";
import { Spinner } from "@/app/_components/spinner";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { activeRefetchMs, isActive, OperationProgress } from "../../dashboard/_components/operation-progress";
import { appLabels } from "../../sites/app-labels";
import { DnsZone } from "./dns-zone";

export function DomainView({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const q = useQuery(trpc.domain.get.queryOptions({ id }));
  const ops = useQuery({
    ...trpc.operation.list.queryOptions({ target: { type: "Domain", id }, limit: 5 }),
    enabled: q.isSuccess,
    refetchInterval: (query) => (query.state.data?.items.some(isActive) ? activeRefetchMs : false),
  });
  const remove = useMutation(trpc.domain.delete.mutationOptions());

  // Another customer's domain, a deleted one and a made-up id all read the same: not found.
  if (q.error?.data?.code === "NOT_FOUND") notFound();

  const breadcrumb = (
    <Link href="/domains" className="hover:underline">
      ← Domains
    </Link>
  );
  if (q.isPending) {
    return (
      <>
        <PageHeader title="Domain" breadcrumb={breadcrumb} />
        <p className="flex items-center gap-2 text-sm text-zinc-500">
          <Spinner /> Loading…
        </p>
      </>
    );
  }
  if (q.error) {
    return (
      <>
        <PageHeader title="Domain" breadcrumb={breadcrumb} />
        <FormError message={q.error.message} />
      </>
    );
  }
  const domain = q.data;
  const isIdn = domain.displayName !== domain.name;

  async function confirmDelete() {
    await remove.mutateAsync({ id });
    toast({ title: `${domain.displayName} is being removed`, tone: "success" });
    await Promise.all([
      queryClient.invalidateQueries(trpc.domain.list.pathFilter()),
      queryClient.invalidateQueries(trpc.dashboard.get.pathFilter()),
    ]);
    router.push("/domains");
  }

  return (
    <>
      <PageHeader
        title={domain.displayName}
        description={isIdn ? <span className="font-mono">{domain.name}</span> : undefined}
        breadcrumb={breadcrumb}
        actions={
          <Button
            variant="danger"
            onClick={() => setConfirming(true)}
            disabled={domain.sites.length > 0}
            title={domain.sites.length > 0 ? "Delete the site on this domain first" : undefined}
          >
            Delete domain
          </Button>
        }
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader title="Details" />
          <CardBody>
            <DetailList
              items={[
                { label: "Name", value: domain.displayName },
                ...(isIdn ? [{ label: "ASCII form (DNS)", value: <span className="font-mono">{domain.name}</span> }] : []),
                {
                  label: "Status",
                  value: <StatusBadge status={domain.pending ? "PENDING" : "ACTIVE"} label={domain.pending ? "Pending" : "Live"} />,
                },
                { label: "Added", value: domain.createdAt.toLocaleString() },
              ]}
            />
          </CardBody>
        </Card>
        <Card>
          <CardHeader
            title="Site"
            actions={
              domain.sites.length === 0 ? (
                <LinkButton href={`/sites?domain=${domain.id}`} size="sm" variant="primary">
                  Create a site
                </LinkButton>
              ) : null
            }
          />
          {domain.sites.length === 0 ? (
            <EmptyState title="No site on this domain" description="Create one to put it on the web." />
          ) : (
            <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {domain.sites.map((s) => (
                <li key={s.id} className="flex items-center justify-between gap-3 px-5 py-3 text-sm">
                  <span>
                    <Link href="/sites" className="font-medium hover:underline">
                      {appLabels[s.app]}
                    </Link>
                    <span className="text-zinc-500 dark:text-zinc-400">
                      {" "}
                      · PHP {s.phpVersion} · serves <span className="font-mono">{s.documentRoot}/</span>
                    </span>
                  </span>
                  <StatusBadge status={s.status} />
                </li>
              ))}
            </ul>
          )}
        </Card>
        <DnsZone domainId={domain.id} />
        <Card className="lg:col-span-2">
          <CardHeader title="Activity" />
          <CardBody className="flex flex-col gap-4">
            {ops.data?.items.length ? (
              ops.data.items.map((op) => <OperationProgress key={op.id} op={op} />)
            ) : (
              <p className="text-sm text-zinc-500 dark:text-zinc-400">No activity yet.</p>
            )}
          </CardBody>
        </Card>
      </div>
      <ConfirmDialog
        open={confirming}
        onClose={() => setConfirming(false)}
        title={`Delete ${domain.displayName}?`}
        description="The domain's DNS zone is removed from the cluster's nameservers. You can add the domain again later."
        confirmLabel="Delete domain"
        confirmText={domain.displayName}
        onConfirm={confirmDelete}
      />
    </>
  );
}
