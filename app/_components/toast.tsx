"use client";
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { cx } from "./cx";

export type ToastTone = "success" | "error" | "info";
export type ToastInput = { title: string; description?: string; tone?: ToastTone; durationMs?: number };
type Toast = ToastInput & { id: number; tone: ToastTone };

const ToastContext = createContext<((toast: ToastInput) => void) | null>(null);

/** `const toast = useToast(); toast({ title: "Customer saved", tone: "success" })`. */
export function useToast(): (toast: ToastInput) => void {
  const push = useContext(ToastContext);
  if (!push) throw new Error("useToast must be used inside <ToastProvider> (the root layout provides it)");
  return push;
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);
  const push = useCallback((input: ToastInput) => {
    const id = nextId.current++;
    // Keep the newest few; a burst of toasts must not cover the page.
    setToasts((list) => [...list.slice(-3), { ...input, id, tone: input.tone ?? "info" }]);
  }, []);

  return (
    <ToastContext.Provider value={push}>
      {children}
      {/* Always in the DOM so screen readers have registered the live region before text arrives. */}
      <div
        aria-live="polite"
        aria-relevant="additions"
        className="pointer-events-none fixed inset-x-0 bottom-0 z-50 flex flex-col items-center gap-2 p-4 sm:items-end"
      >
        {toasts.map((t) => (
          <ToastItem key={t.id} toast={t} onDismiss={dismiss} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: (id: number) => void }) {
  const [hovered, setHovered] = useState(false);
  useEffect(() => {
    if (hovered) return;
    const timer = setTimeout(() => onDismiss(toast.id), toast.durationMs ?? (toast.tone === "error" ? 8000 : 4000));
    return () => clearTimeout(timer);
  }, [hovered, toast, onDismiss]);

  const accent = toast.tone === "success" ? "bg-emerald-500" : toast.tone === "error" ? "bg-red-500" : "bg-brand";
  return (
    <div
      role={toast.tone === "error" ? "alert" : "status"}
      onMouseEnter={() => setHovered(true)}
      onMouseLeave={() => setHovered(false)}
      className="pointer-events-auto flex w-full max-w-sm overflow-hidden rounded-lg border border-zinc-200 bg-white shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
    >
      <span aria-hidden="true" className={cx("w-1 shrink-0", accent)} />
      <div className="flex-1 px-4 py-3">
        <p className="text-sm font-medium text-zinc-900 dark:text-zinc-100">{toast.title}</p>
        {toast.description && <p className="mt-0.5 text-sm text-zinc-600 dark:text-zinc-400">{toast.description}</p>}
      </div>
      <button
        type="button"
        onClick={() => onDismiss(toast.id)}
        aria-label="Dismiss notification"
        className="m-2 self-start rounded p-1 text-zinc-400 hover:text-zinc-600 focus-visible:outline-2 focus-visible:outline-brand dark:hover:text-zinc-200"
      >
        <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-4">
          <path d="M6.28 5.22a.75.75 0 0 0-1.06 1.06L8.94 10l-3.72 3.72a.75.75 0 1 0 1.06 1.06L10 11.06l3.72 3.72a.75.75 0 1 0 1.06-1.06L11.06 10l3.72-3.72a.75.75 0 0 0-1.06-1.06L10 8.94 6.28 5.22Z" />
        </svg>
      </button>
    </div>
  );
}
