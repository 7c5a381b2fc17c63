"use client";
import {
  createContext,
  useContext,
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from "react";
import { cx } from "./cx";

// Field hands its control the id, aria-invalid and aria-describedby through context, so a page
// writes <Field label="Name" error={fieldErrors.name}><Input name="name" /></Field> and the label,
// hint and error are wired to the control without repeating ids.
type FieldContextValue = { id: string; describedBy: string | undefined; invalid: boolean; required: boolean };
const FieldContext = createContext<FieldContextValue | null>(null);

export type FieldProps = {
  label: ReactNode;
  /** The control's id; generated when omitted. */
  id?: string;
  hint?: ReactNode;
  error?: string | null;
  required?: boolean;
  className?: string;
  children: ReactNode;
};

export function Field({ label, id, hint, error, required = false, className, children }: FieldProps) {
  const generated = useId();
  const controlId = id ?? `f${generated.replace(/:/g, "")}`;
  const hintId = hint ? `${controlId}-hint` : undefined;
  const errorId = error ? `${controlId}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={cx("flex flex-col gap-1.5", className)}>
      <label htmlFor={controlId} className="text-sm font-medium text-zinc-800 dark:text-zinc-200">
        {label}
        {required && (
          <span className="ml-0.5 text-red-600 dark:text-red-400" aria-hidden="true">
            *
          </span>
        )}
      </label>
      <FieldContext.Provider value={{ id: controlId, describedBy, invalid: Boolean(error), required }}>
        {children}
      </FieldContext.Provider>
      {hint && (
        <p id={hintId} className="text-xs text-zinc-500 dark:text-zinc-400">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="flex items-start gap-1 text-sm text-red-700 dark:text-red-400">
          <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="mt-0.5 size-4 shrink-0">
            <path
              fillRule="evenodd"
              d="M18 10a8 8 0 1 1-16 0 8 8 0 0 1 16 0Zm-8-5a.75.75 0 0 1 .75.75v4.5a.75.75 0 0 1-1.5 0v-4.5A.75.75 0 0 1 10 5Zm0 10a1 1 0 1 0 0-2 1 1 0 0 0 0 2Z"
              clipRule="evenodd"
            />
          </svg>
          {error}
        </p>
      )}
    </div>
  );
}

const controlBase =
  "block w-full rounded-lg border bg-white px-3 text-sm text-zinc-900 shadow-sm placeholder:text-zinc-400 " +
  "focus:outline-2 focus:outline-offset-0 focus:outline-brand disabled:cursor-not-allowed disabled:bg-zinc-100 disabled:text-zinc-500 " +
  "dark:bg-zinc-900 dark:text-zinc-100 dark:placeholder:text-zinc-500 dark:disabled:bg-zinc-800";

function useControlProps(props: { id?: string; required?: boolean; "aria-describedby"?: string; "aria-invalid"?: unknown }) {
  const field = useContext(FieldContext);
  const invalid = field?.invalid ?? (props["aria-invalid"] === true || props["aria-invalid"] === "true");
  return {
    id: props.id ?? field?.id,
    required: props.required ?? (field?.required || undefined),
    "aria-invalid": invalid || undefined,
    "aria-describedby": [field?.describedBy, props["aria-describedby"]].filter(Boolean).join(" ") || undefined,
    stateClass: invalid
      ? "border-red-500 focus:outline-red-500 dark:border-red-500"
      : "border-zinc-300 dark:border-zinc-700",
  };
}

export function Input({ className, ...props }: InputHTMLAttributes<HTMLInputElement>) {
  const { stateClass, ...wired } = useControlProps(props);
  return <input {...props} {...wired} className={cx(controlBase, "h-10", stateClass, className)} />;
}

export function Textarea({ className, rows = 4, ...props }: TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const { stateClass, ...wired } = useControlProps(props);
  return <textarea rows={rows} {...props} {...wired} className={cx(controlBase, "py-2", stateClass, className)} />;
}

export function Select({ className, children, ...props }: SelectHTMLAttributes<HTMLSelectElement>) {
  const { stateClass, ...wired } = useControlProps(props);
  return (
    <select {...props} {...wired} className={cx(controlBase, "h-10 pr-8", stateClass, className)}>
      {children}
    </select>
  );
}

/** A checkbox with its label beside it (Field's stacked label suits text controls, not this). */
export function Checkbox({
  label,
  hint,
  className,
  id,
  ...props
}: Omit<InputHTMLAttributes<HTMLInputElement>, "type"> & { label: ReactNode; hint?: ReactNode }) {
  const generated = useId();
  const controlId = id ?? `c${generated.replace(/:/g, "")}`;
  const hintId = hint ? `${controlId}-hint` : undefined;
  return (
    <div className={cx("flex items-start gap-2", className)}>
      <input
        type="checkbox"
        id={controlId}
        aria-describedby={hintId}
        className="mt-0.5 size-4 rounded border-zinc-300 accent-brand dark:border-zinc-600"
        {...props}
      />
      <div>
        <label htmlFor={controlId} className="text-sm font-medium text-zinc-800 dark:text-zinc-200">
          {label}
        </label>
        {hint && (
          <p id={hintId} className="text-xs text-zinc-500 dark:text-zinc-400">
            {hint}
          </p>
        )}
      </div>
    </div>
  );
}
