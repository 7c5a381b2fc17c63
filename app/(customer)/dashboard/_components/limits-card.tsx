"use client";
import type { z } from "zod";
import type { getDashboardOutput } from "@/server/trpc/routers/dashboard/get-dashboard.schema";
import { Card, CardBody, CardHeader } from "@/app/_components/card";
import { ProgressBar } from "@/app/_components/progress-bar";
import { recoveryPoint } from "@/server/domain/recovery-point";

type Limits = z.infer<typeof getDashboardOutput>["limits"];

const number = new Intl.NumberFormat();
const measuredFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

// The servers count memory and the disk limit in binary megabytes (the plan's "512 MB" of memory
// is 512 MiB in the kernel), so these figures are shown in the same unit as the plan.
const MiB = 1024 * 1024;
function megabytes(bytes: number): string {
  const mb = bytes / MiB;
  return mb >= 10_000 ? `${number.format(Math.round(mb / 1024))} GB` : `${number.format(Math.round(mb))} MB`;
}

function seconds(usec: number): string {
  return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(usec / 1_000_000)} s`;
}

function Fact({ label, value, warn = false }: { label: string; value: string; warn?: boolean }) {
  return (
    <div className="flex items-center justify-between gap-4 text-sm">
      <span className="text-zinc-600 dark:text-zinc-400">{label}</span>
      <span className={warn ? "font-medium text-red-700 dark:text-red-300" : "font-medium text-zinc-900 dark:text-zinc-100"}>{value}</span>
    </div>
  );
}

/** The banner for an account whose writes fail on a server: said before anything else on the page. */
export function DiskLimitAlert({ limits }: { limits: Limits }) {
  if (!limits.atDiskLimit) return null;
  return (
    <div
      role="alert"
      data-testid="disk-limit-alert"
      className="rounded-xl border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900 lg:col-span-3 dark:border-red-800 dark:bg-red-950/50 dark:text-red-200"
    >
      <strong className="font-semibold">This account is at its disk limit: uploads and new files fail.</strong> Sites keep serving
      what they have, but anything that writes (uploads, caches, new posts, database growth) gets &ldquo;disk quota exceeded&rdquo;
      until you free space (old files, databases you no longer need) or your provider gives the plan more disk.
    </div>
  );
}

/**
 * What the plan allows each server the account runs on, and what the servers last counted against
 * it. Throttling and limit hits are the kernel's counts since the account started on the server.
 */
export function LimitsCard({ limits }: { limits: Limits }) {
  const { plan } = limits;
  const memoryLimit = limits.memoryLimitBytes ?? plan.memoryMb * MiB;
  const diskLimit = limits.diskLimitBytes ?? plan.diskMb * MiB;
  const pidsLimit = limits.pidsLimit ?? plan.pids;
  return (
    <Card className="lg:col-span-3" data-testid="limits-card">
      <CardHeader
        title="Limits"
        description={
          limits.servers === 0
            ? "What your plan allows on each server your sites run on. Figures appear once a server has reported them."
            : `What your plan allows on each server your sites run on, as ${limits.servers === 1 ? "the server" : `your ${limits.servers} servers`} last reported${
                limits.measuredAt ? ` (${measuredFormat.format(limits.measuredAt)})` : ""
              }.`
        }
      />
      <CardBody className="grid gap-6 md:grid-cols-2">
        <div className="flex flex-col gap-4">
          <ProgressBar
            value={limits.diskBytes === null ? 0 : Math.min(limits.diskBytes, diskLimit)}
            max={Math.max(diskLimit, 1)}
            label={`Disk on the server: ${limits.diskBytes === null ? "not measured yet" : megabytes(limits.diskBytes)} of ${megabytes(diskLimit)}`}
            tone={limits.atDiskLimit ? "danger" : "brand"}
          />
          <ProgressBar
            value={limits.memoryBytes === null ? 0 : Math.min(limits.memoryBytes, memoryLimit)}
            max={Math.max(memoryLimit, 1)}
            label={`Memory: ${limits.memoryBytes === null ? "not measured yet" : megabytes(limits.memoryBytes)} of ${megabytes(memoryLimit)}`}
            tone={limits.oomKills > 0 ? "danger" : "brand"}
          />
          <ProgressBar
            value={limits.pids === null ? 0 : Math.min(limits.pids, pidsLimit)}
            max={Math.max(pidsLimit, 1)}
            label={`Processes: ${limits.pids === null ? "not measured yet" : number.format(limits.pids)} of ${number.format(pidsLimit)}`}
            tone={limits.pidsLimitHits > 0 ? "danger" : "brand"}
          />
        </div>
        <div className="flex flex-col gap-2">
          <Fact label="CPU" value={`${number.format(plan.cpuPercent)}% of a core`} />
          <Fact
            label="Slowed down at the CPU limit"
            value={limits.cpuThrottledPeriods === 0 ? "never" : `${number.format(limits.cpuThrottledPeriods)} times, ${seconds(limits.cpuThrottledUsec)} in all`}
            warn={limits.cpuThrottledPeriods > 0}
          />
          <Fact label="Times memory was full" value={number.format(limits.memoryLimitHits)} warn={limits.memoryLimitHits > 0} />
          <Fact label="Processes stopped for lack of memory" value={number.format(limits.oomKills)} warn={limits.oomKills > 0} />
          <Fact label="New processes refused" value={number.format(limits.pidsLimitHits)} warn={limits.pidsLimitHits > 0} />
        </div>
        <RecoveryFacts plan={plan} />
      </CardBody>
    </Card>
  );
}

/** What the plan promises if a server fails, in the same words the reseller's plans page uses. */
function RecoveryFacts({ plan }: { plan: Limits["plan"] }) {
  const recovery = recoveryPoint(plan);
  return (
    <div className="text-sm md:col-span-2" data-testid="recovery-point">
      <h3 className="font-medium text-zinc-900 dark:text-zinc-100">If a server fails</h3>
      <p className="mt-1 text-zinc-600 dark:text-zinc-400">
        {recovery.failover} {recovery.dataLoss}
      </p>
    </div>
  );
}
