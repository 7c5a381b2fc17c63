"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc-provider";

/**
 * On every admin page while the control plane itself is behind: no control worker alive, no
 * heartbeat tick, schedules missing or not running, jobs waiting too long, a store unreachable.
 * Node health on these pages is then out of date, and this says so. Checked every 5 s; nothing
 * is shown while all is well (or before the first answer).
 */
export function ControlPlaneBanner() {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.cluster.getHealth.queryOptions(undefined), refetchInterval: 5_000, retry: false });
  if (!q.data || q.data.ok) return null;
  return (
    <div role="region" aria-label="Control plane status" className="border-b border-red-300 bg-red-50 text-red-950 dark:border-red-800 dark:bg-red-950/60 dark:text-red-100">
      <div className="mx-auto flex max-w-6xl gap-2 px-4 py-2.5 sm:px-6 lg:px-8">
        <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="mt-0.5 size-5 shrink-0 text-red-600 dark:text-red-300">
          <path fillRule="evenodd" d="M8.485 2.495c.673-1.167 2.357-1.167 3.03 0l6.28 10.875c.673 1.167-.17 2.625-1.516 2.625H3.72c-1.347 0-2.189-1.458-1.515-2.625L8.485 2.495ZM10 5a.75.75 0 0 1 .75.75v3.5a.75.75 0 0 1-1.5 0v-3.5A.75.75 0 0 1 10 5Zm0 9a1 1 0 1 0 0-2 1 1 0 0 0 0 2Z" clipRule="evenodd" />
        </svg>
        <div className="text-sm">
          <p className="font-semibold">The control plane is behind: node health shown here may be out of date.</p>
          <ul className="mt-1 list-disc space-y-0.5 pl-5">
            {q.data.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      </div>
    </div>
  );
}
