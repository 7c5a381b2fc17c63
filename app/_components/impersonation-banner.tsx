"use client";
import { useMutation } from "@tanstack/react-query";
import { Button } from "./button";
import { useTRPC } from "./trpc-provider";

/**
 * Shown on every page while someone acts as another user, so nobody forgets whose account they are
 * changing. "Return" ends the impersonation on the server and reloads at the address it names
 * (a full load, so no query cached as the impersonated user survives).
 */
export function ImpersonationBanner({ userName, impersonatorName }: { userName: string; impersonatorName: string }) {
  const trpc = useTRPC();
  const stop = useMutation(
    trpc.session.stopImpersonation.mutationOptions({
      onSuccess: ({ redirectTo }) => window.location.assign(redirectTo),
    }),
  );
  return (
    <div
      role="region"
      aria-label="Impersonation"
      className="border-b border-amber-300 bg-amber-100 text-amber-950 dark:border-amber-700 dark:bg-amber-900/60 dark:text-amber-100"
    >
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-x-4 gap-y-2 px-4 py-2.5 sm:px-6 lg:px-8">
        <p className="flex items-center gap-2 text-sm">
          <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-5 shrink-0 text-amber-600 dark:text-amber-300">
            <path fillRule="evenodd" d="M8.485 2.495c.673-1.167 2.357-1.167 3.03 0l6.28 10.875c.673 1.167-.17 2.625-1.516 2.625H3.72c-1.347 0-2.189-1.458-1.515-2.625L8.485 2.495ZM10 5a.75.75 0 0 1 .75.75v3.5a.75.75 0 0 1-1.5 0v-3.5A.75.75 0 0 1 10 5Zm0 9a1 1 0 1 0 0-2 1 1 0 0 0 0 2Z" clipRule="evenodd" />
          </svg>
          <span>
            You are signed in as <strong className="font-semibold">{userName}</strong> on behalf of{" "}
            <strong className="font-semibold">{impersonatorName}</strong>.
          </span>
          {stop.error && (
            <span role="alert" className="font-medium text-red-700 dark:text-red-300">
              {stop.error.message}
            </span>
          )}
        </p>
        <Button size="sm" variant="secondary" loading={stop.isPending || stop.isSuccess} onClick={() => stop.mutate()}>
          Return to my account
        </Button>
      </div>
    </div>
  );
}
