import type { ReactNode } from "react";
import { cx } from "./cx";

export type BadgeTone = "neutral" | "success" | "warning" | "danger" | "info" | "brand";

const tones: Record<BadgeTone, string> = {
  neutral: "bg-zinc-100 text-zinc-700 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-400/20",
  success: "bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-950/60 dark:text-emerald-300 dark:ring-emerald-400/20",
  warning: "bg-amber-50 text-amber-800 ring-amber-600/25 dark:bg-amber-950/60 dark:text-amber-300 dark:ring-amber-400/20",
  danger: "bg-red-50 text-red-800 ring-red-600/20 dark:bg-red-950/60 dark:text-red-300 dark:ring-red-400/20",
  info: "bg-sky-50 text-sky-800 ring-sky-600/20 dark:bg-sky-950/60 dark:text-sky-300 dark:ring-sky-400/20",
  brand: "bg-brand/10 text-zinc-900 ring-brand/30 dark:text-zinc-100",
};

const dots: Record<BadgeTone, string> = {
  neutral: "bg-zinc-400",
  success: "bg-emerald-500",
  warning: "bg-amber-500",
  danger: "bg-red-500",
  info: "bg-sky-500",
  brand: "bg-brand",
};

export function Badge({ tone = "neutral", dot = false, className, children }: { tone?: BadgeTone; dot?: boolean; className?: string; children: ReactNode }) {
  return (
    <span
      className={cx(
        "inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset",
        tones[tone],
        className,
      )}
    >
      {dot && <span aria-hidden="true" className={cx("size-1.5 rounded-full", dots[tone])} />}
      {children}
    </span>
  );
}

// Every status enum in prisma/schema.prisma (tenant, node, operation) plus the words workers use in
// conditions. Unknown values still render, in neutral.
const statusTones: Record<string, BadgeTone> = {
  ACTIVE: "success",
  HEALTHY: "success",
  SUCCEEDED: "success",
  READY: "success",
  LIVE: "success",
  VERIFIED: "success",
  PRIMARY: "brand",
  REPLICA: "neutral",
  PENDING: "info",
  RUNNING: "info",
  PROVISIONING: "info",
  MOVING: "info",
  DRAINING: "warning",
  DEGRADED: "warning",
  SUSPENDED: "warning",
  PAUSED: "warning",
  CANCELLED: "neutral",
  DELETED: "neutral",
  TERMINATED: "danger",
  FAILED: "danger",
  DEAD: "danger",
  ERROR: "danger",
};

export function statusTone(status: string): BadgeTone {
  return statusTones[status.toUpperCase()] ?? "neutral";
}

/** "PRE_ROLLBACK" → "Pre rollback". */
export function humaniseStatus(status: string): string {
  const words = status.replace(/_/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function StatusBadge({ status, label, className }: { status: string; label?: ReactNode; className?: string }) {
  const tone = statusTone(status);
  const pulsing = status === "RUNNING" || status === "PROVISIONING" || status === "MOVING";
  return (
    <Badge tone={tone} dot className={cx(pulsing && "[&>span:first-child]:animate-pulse", className)}>
      {label ?? humaniseStatus(status)}
    </Badge>
  );
}
