import { cx } from "./cx";

/**
 * value in 0..max; null means "working, amount unknown" (indeterminate). tone follows the
 * operation: running in the brand colour, failed in red, done in green.
 */
export function ProgressBar({
  value,
  max = 100,
  label,
  showValue = false,
  tone = "brand",
  className,
}: {
  value: number | null;
  max?: number;
  /** Accessible name, e.g. "Installing WordPress". Shown above the bar. */
  label: string;
  showValue?: boolean;
  tone?: "brand" | "success" | "danger";
  className?: string;
}) {
  const pct = value === null ? null : Math.max(0, Math.min(100, (value / max) * 100));
  const fill = tone === "success" ? "bg-emerald-500" : tone === "danger" ? "bg-red-500" : "bg-brand";
  return (
    <div className={cx("w-full", className)}>
      <div className="mb-1 flex justify-between text-xs text-zinc-600 dark:text-zinc-400">
        <span>{label}</span>
        {showValue && pct !== null && <span aria-hidden="true">{Math.round(pct)}%</span>}
      </div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={max}
        aria-valuenow={value === null ? undefined : value}
        className="h-2 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
      >
        {pct === null ? (
          <div className={cx("h-full w-1/3 animate-[shoal-indeterminate_1.4s_ease-in-out_infinite] rounded-full", fill)} />
        ) : (
          <div className={cx("h-full rounded-full transition-[width] duration-500", fill)} style={{ width: `${pct}%` }} />
        )}
      </div>
    </div>
  );
}
