import { useMemo } from "react";

export type FieldErrorState = { fieldErrors: Record<string, string>; formError: string | null };

// Structural, so it accepts TRPCClientErrorLike from any procedure (and plain Errors) without
// importing the router type into every form.
type ErrorLike = { message: string; data?: { fieldErrors?: Record<string, string> | null } | null } | null | undefined;

/**
 * Splits a tRPC error into messages for the fields and one for the form's summary line. The server
 * (server/trpc/init.ts) puts per-field messages in `data.fieldErrors`; a message that is already
 * shown next to a field is not repeated in the summary, and a schema error without a path ("_")
 * goes to the summary.
 */
export function toFieldErrors(error: ErrorLike): FieldErrorState {
  if (!error) return { fieldErrors: {}, formError: null };
  const fieldErrors: Record<string, string> = {};
  let rootMessage: string | null = null;
  for (const [key, message] of Object.entries(error.data?.fieldErrors ?? {})) {
    if (key === "_") rootMessage = message;
    else fieldErrors[key] = message;
  }
  const shown = new Set(Object.values(fieldErrors));
  const formError = rootMessage ?? (shown.has(error.message) ? null : error.message || "Something went wrong.");
  return { fieldErrors, formError };
}

export function useFieldErrors(error: ErrorLike): FieldErrorState {
  return useMemo(() => toFieldErrors(error), [error]);
}
