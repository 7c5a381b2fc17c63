"use client";
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { Button } from "./button";
import { Dialog } from "./dialog";
import { Field, Input } from "./field";
import { FormError } from "./form-error";

export type ConfirmDialogProps = {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  /** What will happen, in plain words ("The site and its files are deleted for good."). */
  description?: ReactNode;
  confirmLabel?: string;
  /**
   * For destructive actions: the object's name, which the user must type exactly before the
   * confirm button enables ("example.com"). Omit for a simple yes/no.
   */
  confirmText?: string;
  destructive?: boolean;
  /** May return a promise (e.g. mutateAsync): the dialog shows progress, closes on success, and shows the error message on failure. */
  onConfirm: () => unknown;
  /** What the user should see before saying yes (a rollback's preview), above the buttons. */
  children?: ReactNode;
  size?: "md" | "lg";
};

export function ConfirmDialog({
  open,
  onClose,
  title,
  description,
  confirmLabel = "Confirm",
  confirmText,
  destructive = true,
  onConfirm,
  children,
  size = "md",
}: ConfirmDialogProps) {
  const [typed, setTyped] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (open) {
      setTyped("");
      setError(null);
      setPending(false);
    }
  }, [open]);

  const matches = confirmText === undefined || typed === confirmText;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!matches || pending) return;
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      setPending(false);
      onClose();
    } catch (err) {
      setPending(false);
      setError(err instanceof Error ? err.message : "Something went wrong.");
    }
  }

  return (
    <Dialog open={open} onClose={onClose} title={title} description={description} busy={pending} size={size}>
      <form onSubmit={submit} className="flex flex-col gap-4">
        {children}
        {confirmText !== undefined && (
          <Field
            label={
              <>
                Type <span className="rounded bg-zinc-100 px-1 py-0.5 font-mono text-[0.8125rem] dark:bg-zinc-800">{confirmText}</span> to confirm
              </>
            }
          >
            <Input
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              autoCapitalize="off"
              spellCheck={false}
              disabled={pending}
            />
          </Field>
        )}
        <FormError message={error} />
        <div className="flex flex-wrap justify-end gap-2">
          <Button variant="secondary" onClick={onClose} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" variant={destructive ? "danger" : "primary"} disabled={!matches} loading={pending}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
