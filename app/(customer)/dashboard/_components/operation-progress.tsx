"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { StatusBadge } from "@/app/_components/badge";
import { Button } from "@/app/_components/button";
import { ProgressBar } from "@/app/_components/progress-bar";
import { cx } from "@/app/_components/cx";
import { useTRPC } from "@/app/_components/trpc-provider";
import { retryRefusal } from "@/server/domain/operation-retry";
import { operationKindLabel, stepKind, stepKindLabel, type StepKind } from "@/server/domain/operation-kinds";

type Status = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";

export type OperationLike = {
  id: string;
  kind: string;
  status: Status;
  /** In the customer's words; `errorDetail` is the full error, sent to platform admins only. */
  lastError: string | null;
  errorDetail?: string | null;
  createdAt: Date;
  subject?: string | null;
  steps: { index: number; kind: string; target: string; status: Status; attempts: number; lastError: string | null; errorDetail?: string | null }[];
};

/** The full error under the customer's words, for the platform admin (who alone is sent it). */
function ErrorDetail({ detail }: { detail: string | null | undefined }) {
  if (!detail) return null;
  return <span className="block font-mono text-[11px] break-words text-zinc-500 dark:text-zinc-400">Detail (admins only): {detail}</span>;
}

/** The panel's name for an operation kind as stored (labels: server/domain/operation-kinds.ts). */
export function operationLabel(kind: string): string {
  return operationKindLabel(kind);
}

// What the operation is about: the name the server gives (lists of a whole account), else the step
// that names it: the domain for sites and domains, the database
// name for databases (the first step of a site is its account, which says less).
const subjectSteps: readonly string[] = [stepKind.siteStore, stepKind.route, stepKind.dnsZone, stepKind.database] satisfies StepKind[];

export function operationSubject(op: Pick<OperationLike, "steps" | "subject">): string | null {
  return op.subject ?? op.steps.find((s) => subjectSteps.includes(s.kind))?.target ?? null;
}

/** Poll while something is still to happen; the page reads progress from Postgres, never a queue. */
export function isActive(op: { status: Status } | null | undefined): boolean {
  return op?.status === "PENDING" || op?.status === "RUNNING";
}

/**
 * How often a page refetches while one of its operations is active: the control worker settles
 * steps within a second or two, and a person watching a site come up should see each one.
 */
export const activeRefetchMs = 1000;

function summary(op: OperationLike): string {
  const started = op.steps.some((s) => s.status !== "PENDING");
  if (op.status === "PENDING" && !started) return "Waiting to start";
  if (op.status === "SUCCEEDED") return "Done";
  // The error itself is shown in full under the bar, next to the Retry button.
  if (op.status === "FAILED") return "Failed";
  if (op.status === "CANCELLED") return "Cancelled";
  const current = op.steps.find((s) => s.status === "RUNNING") ?? op.steps.find((s) => s.status === "PENDING");
  return current ? `Working: ${stepKindLabel(current.kind)}` : "Working";
}

const stepMarks: Record<Status, { mark: string; className: string; label: string }> = {
  PENDING: { mark: "○", className: "text-zinc-400", label: "pending" },
  RUNNING: { mark: "◐", className: "text-brand animate-pulse", label: "running" },
  SUCCEEDED: { mark: "✓", className: "text-emerald-600 dark:text-emerald-400", label: "done" },
  FAILED: { mark: "✕", className: "text-red-600 dark:text-red-400", label: "failed" },
  CANCELLED: { mark: "–", className: "text-zinc-400", label: "cancelled" },
};

/** An operation's progress bar and, unless compact, its steps in order. */
export function OperationProgress({
  op,
  compact = false,
  showSubject = false,
  className,
}: {
  op: OperationLike;
  compact?: boolean;
  /** Name the domain or database, where the page around it does not already. */
  showSubject?: boolean;
  className?: string;
}) {
  const done = op.steps.filter((s) => s.status === "SUCCEEDED").length;
  const tone = op.status === "FAILED" ? "danger" : op.status === "SUCCEEDED" ? "success" : "brand";
  const steps = (
    <ol className="mt-2 space-y-1 text-xs">
      {op.steps.map((s) => {
        const m = stepMarks[s.status];
        return (
          <li key={s.index} className="flex items-start gap-2">
            <span aria-hidden="true" className={cx("w-3 shrink-0 text-center", m.className)}>
              {m.mark}
            </span>
            <span className="text-zinc-700 dark:text-zinc-300">
              {stepKindLabel(s.kind)}
              <span className="text-zinc-500 dark:text-zinc-400"> · {s.target}</span>
              <span className="sr-only"> ({m.label})</span>
              {s.lastError && <span className="block text-red-700 dark:text-red-400">{s.lastError}</span>}
              <ErrorDetail detail={s.errorDetail} />
            </span>
          </li>
        );
      })}
    </ol>
  );
  return (
    <div className={cx("min-w-48", className)}>
      <div className="mb-1 flex items-center justify-between gap-2">
        <span className="text-xs font-medium text-zinc-800 dark:text-zinc-200">
          {operationLabel(op.kind)}
          {showSubject && operationSubject(op) && <span className="font-normal text-zinc-500 dark:text-zinc-400"> · {operationSubject(op)}</span>}
        </span>
        <StatusBadge status={op.status} />
      </div>
      <ProgressBar value={done} max={Math.max(op.steps.length, 1)} label={summary(op)} tone={tone} />
      {op.status === "FAILED" && <FailedOperation op={op} />}
      {compact ? (
        <details className="mt-1">
          <summary className="cursor-pointer text-xs text-zinc-500 hover:text-zinc-800 dark:text-zinc-400 dark:hover:text-zinc-200">
            {done} of {op.steps.length} {op.steps.length === 1 ? "step" : "steps"}
          </summary>
          {steps}
        </details>
      ) : (
        steps
      )}
    </div>
  );
}

/** Why an operation failed, and a way to run it again (operation.retry puts it back to pending). */
function FailedOperation({ op }: { op: OperationLike }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const retry = useMutation(
    trpc.operation.retry.mutationOptions({
      // Every customer page that shows operations reads one of these; the retried operation is
      // pending again, so each page's refetchInterval takes over from here.
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.operation.pathFilter()),
          queryClient.invalidateQueries(trpc.site.pathFilter()),
          queryClient.invalidateQueries(trpc.database.pathFilter()),
          queryClient.invalidateQueries(trpc.domain.pathFilter()),
          queryClient.invalidateQueries(trpc.dashboard.pathFilter()),
        ]),
    }),
  );
  const subject = operationSubject(op);
  const refusal = retryRefusal(op.kind);
  return (
    <div className="mt-2 flex flex-col items-start gap-1.5">
      {op.lastError && (
        <p className="line-clamp-4 text-xs break-words text-red-700 dark:text-red-400" title={op.lastError}>
          {op.lastError}
        </p>
      )}
      <ErrorDetail detail={op.errorDetail} />
      {refusal ? (
        <p className="text-xs text-zinc-600 dark:text-zinc-400">{refusal}</p>
      ) : (
        <Button
          variant="secondary"
          size="sm"
          loading={retry.isPending}
          onClick={() => retry.mutate({ id: op.id })}
          aria-label={`Retry: ${operationLabel(op.kind).toLowerCase()}${subject ? ` ${subject}` : ""}`}
        >
          Retry
        </Button>
      )}
      {retry.error && (
        <p role="alert" className="text-xs text-red-700 dark:text-red-400">
          {retry.error.message}
        </p>
      )}
    </div>
  );
}
