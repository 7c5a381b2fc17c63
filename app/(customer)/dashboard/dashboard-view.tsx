"use client";
import { useQuery } from "@tanstack/react-query";
import type { z } from "zod";
import type { getDashboardOutput } from "@/server/trpc/routers/dashboard/get-dashboard.schema";
import { StatusBadge } from "@/app/_components/badge";
import { LinkButton } from "@/app/_components/button";
import { Card, CardBody, CardHeader } from "@/app/_components/card";
import { EmptyState } from "@/app/_components/empty-state";
import { Field, Select } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { PageHeader } from "@/app/_components/page-header";
import { ProgressBar } from "@/app/_components/progress-bar";
import { Spinner } from "@/app/_components/spinner";
import { useTRPC } from "@/app/_components/trpc-provider";
import { formatSize } from "../sites/snapshot-format";
import { DiskLimitAlert, LimitsCard } from "./_components/limits-card";
import { activeRefetchMs, isActive, OperationProgress } from "./_components/operation-progress";
import { useForgetStaleAccount, useSelectedAccount } from "./_components/selected-account";

type Usage = { used: number; limit: number | null };

function UsageRow({ label, usage, unit }: { label: string; usage: Usage; unit?: string }) {
  const suffix = unit ? ` ${unit}` : "";
  if (usage.limit === null) {
    return (
      <div className="flex items-center justify-between text-sm">
        <span className="text-zinc-600 dark:text-zinc-400">{label}</span>
        <span className="font-medium text-zinc-900 dark:text-zinc-100">
          {usage.used}
          {suffix}
        </span>
      </div>
    );
  }
  const full = usage.used >= usage.limit;
  return (
    <ProgressBar
      value={usage.used}
      max={Math.max(usage.limit, 1)}
      label={`${label}: ${usage.used}${suffix} of ${usage.limit}${suffix}`}
      tone={full ? "danger" : "brand"}
    />
  );
}

type Disk = z.infer<typeof getDashboardOutput>["disk"];

const measuredFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** The plan's disk against files + databases + snapshots (snapshots take room on the servers too). */
function DiskRow({ disk }: { disk: Disk }) {
  return (
    <div className="flex flex-col gap-1.5" data-testid="disk-usage">
      <ProgressBar
        value={Math.min(disk.totalBytes, disk.limitBytes)}
        max={Math.max(disk.limitBytes, 1)}
        label={`Disk: ${formatSize(disk.totalBytes)} of ${formatSize(disk.limitBytes)}`}
        tone={disk.overLimit ? "danger" : "brand"}
      />
      <p className="text-xs text-zinc-600 dark:text-zinc-400">
        Files {formatSize(disk.filesBytes)}, databases {formatSize(disk.databaseBytes)}, snapshots {formatSize(disk.snapshotBytes)}
        {disk.measuredAt ? ` · measured ${measuredFormat.format(disk.measuredAt)}` : disk.unmeasuredSites > 0 ? " · not measured yet" : ""}
        {disk.measuredAt && disk.unmeasuredSites > 0
          ? ` · ${disk.unmeasuredSites} new site${disk.unmeasuredSites === 1 ? "" : "s"} not measured yet`
          : ""}
      </p>
    </div>
  );
}

export function DashboardView() {
  const trpc = useTRPC();
  const { accountId, setAccountId } = useSelectedAccount();
  const q = useQuery({
    ...trpc.dashboard.get.queryOptions({ accountId }),
    refetchInterval: (query) => (query.state.data?.recentOperations.some(isActive) ? activeRefetchMs : false),
  });
  useForgetStaleAccount(q.error);
  const data = q.data;

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={data ? `Hosting account ${data.account.username} on the ${data.account.planName} plan.` : undefined}
        actions={
          data && data.accounts.length > 1 ? (
            <Field label="Hosting account" className="min-w-56">
              <Select value={data.account.id} onChange={(e) => setAccountId(e.target.value)}>
                {data.accounts.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.username} · {a.planName}
                    {a.status !== "ACTIVE" ? ` (${a.status.toLowerCase()})` : ""}
                  </option>
                ))}
              </Select>
            </Field>
          ) : null
        }
      />
      {q.isPending && (
        <p className="flex items-center gap-2 text-sm text-zinc-500">
          <Spinner /> Loading your account…
        </p>
      )}
      {q.error && q.error.data?.code !== "NOT_FOUND" && <FormError message={q.error.message} />}
      {q.error?.data?.code === "NOT_FOUND" && !accountId && (
        <Card>
          <EmptyState title="No hosting account yet" description="Your provider has not set up a hosting account for you yet." />
        </Card>
      )}
      {data && (
        <div className="grid gap-6 lg:grid-cols-3">
          {data.account.status !== "ACTIVE" && (
            <div
              role="status"
              className="rounded-xl border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900 lg:col-span-3 dark:border-amber-800 dark:bg-amber-950/50 dark:text-amber-200"
            >
              This hosting account is {data.account.status.toLowerCase()}. You can look around, but changes are disabled until
              your provider reactivates it.
            </div>
          )}
          <DiskLimitAlert limits={data.limits} />
          {data.disk.overLimit && !data.limits.atDiskLimit && (
            <div
              role="alert"
              className="rounded-xl border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900 lg:col-span-3 dark:border-red-800 dark:bg-red-950/50 dark:text-red-200"
            >
              This account uses {formatSize(data.disk.totalBytes)} of its plan&apos;s {formatSize(data.disk.limitBytes)} of disk
              (snapshots {formatSize(data.disk.snapshotBytes)}). Delete files or databases you no longer need, or ask your
              provider for a larger plan.
            </div>
          )}
          <Card className="lg:col-span-2">
            <CardHeader
              title="Usage"
              description="What your plan allows and how much of it is in use."
              actions={<StatusBadge status={data.account.status} />}
            />
            <CardBody className="flex flex-col gap-4">
              <UsageRow label="Sites" usage={data.usage.sites} />
              <UsageRow label="Databases" usage={data.usage.databases} />
              <DiskRow disk={data.disk} />
              <UsageRow label="Domains" usage={data.usage.domains} />
            </CardBody>
          </Card>
          <Card>
            <CardHeader title="Quick actions" />
            <CardBody className="flex flex-col gap-2">
              <LinkButton href="/domains" variant="secondary">
                Add a domain
              </LinkButton>
              <LinkButton href="/sites" variant="primary">
                Create a site
              </LinkButton>
              <LinkButton href="/databases" variant="secondary">
                Create a database
              </LinkButton>
            </CardBody>
          </Card>
          <LimitsCard limits={data.limits} />
          <Card className="lg:col-span-3">
            <CardHeader title="Recent activity" description="Changes you made and how far the cluster has got with them." />
            {data.recentOperations.length === 0 ? (
              <EmptyState title="Nothing yet" description="Add a domain to get started." />
            ) : (
              <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
                {data.recentOperations.map((op) => (
                  <li key={op.id} className="px-5 py-4">
                    <OperationProgress op={op} compact showSubject />
                    <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">{op.createdAt.toLocaleString()}</p>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      )}
    </>
  );
}
