import { cx } from "./cx";

/** The form's summary line for errors that belong to no single field. Renders nothing when null. */
export function FormError({ message, className }: { message: string | null | undefined; className?: string }) {
  if (!message) return null;
  return (
    <div
      role="alert"
      className={cx(
        "rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800",
        "dark:border-red-900 dark:bg-red-950/50 dark:text-red-300",
        className,
      )}
    >
      {message}
    </div>
  );
}
