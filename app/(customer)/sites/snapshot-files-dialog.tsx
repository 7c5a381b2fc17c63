"use client";
import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "@/app/_components/button";
import { Dialog } from "@/app/_components/dialog";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { Spinner } from "@/app/_components/spinner";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { toFieldErrors } from "@/app/_components/use-field-errors";
import { checkSnapshotPath } from "@/server/domain/snapshot-path";
import { activeRefetchMs, isActive, OperationProgress } from "../dashboard/_components/operation-progress";
import { formatSize } from "./snapshot-format";

const join = (dir: string, name: string) => (dir === "" ? name : `${dir}/${name}`);
const parentOf = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");

/**
 * One snapshot's files (site.browseSnapshot), folder by folder, with a Restore button per file
 * (site.restoreSnapshotFile: that file goes back into the live site, nothing else changes). A path
 * can be typed too; a bad one is explained next to the field before anything is asked. A restore
 * is an Operation a control worker runs: the dialog follows its step until it is done or failed.
 */
export function SnapshotFilesDialog({
  open,
  siteId,
  snapshotId,
  when,
  onClose,
}: {
  open: boolean;
  siteId: string | null;
  snapshotId: string | null;
  when: string;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [dir, setDir] = useState("");
  const [draft, setDraft] = useState("");
  const [pathError, setPathError] = useState<string | null>(null);
  // The restore the dialog follows: its operation, read from Postgres (operation.get) while active.
  const [restoring, setRestoring] = useState<{ operationId: string; path: string } | null>(null);

  useEffect(() => {
    if (open) {
      setDir("");
      setDraft("");
      setPathError(null);
      setRestoring(null);
    }
  }, [open, snapshotId]);

  const listing = useQuery({
    ...trpc.site.browseSnapshot.queryOptions(open && siteId && snapshotId ? { id: siteId, snapshotId, path: dir } : skipToken),
    // A snapshot never changes: a listing read once stays right.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    retry: false,
  });
  const restore = useMutation(trpc.site.restoreSnapshotFile.mutationOptions());
  const progress = useQuery({
    ...trpc.operation.get.queryOptions(restoring ? { id: restoring.operationId } : skipToken),
    refetchInterval: (query) => (!query.state.data || isActive(query.state.data) ? activeRefetchMs : false),
  });
  const finished = progress.data && restoring && progress.data.id === restoring.operationId && !isActive(progress.data) ? progress.data.status : null;

  // Said once when the worker has finished: the live site has the old version, or why not.
  useEffect(() => {
    if (!restoring || !finished) return;
    if (finished === "SUCCEEDED") toast({ title: `Restored ${restoring.path}`, description: `The live site has the version from ${when}.`, tone: "success" });
    else toast({ title: `Could not restore ${restoring.path}`, description: progress.data?.lastError ?? undefined, tone: "error" });
    void queryClient.invalidateQueries(trpc.site.pathFilter());
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per finished operation
  }, [finished, restoring?.operationId]);
  const listingErrors = toFieldErrors(listing.error);
  const restoreErrors = toFieldErrors(restore.error);

  function go(path: string) {
    setDir(path);
    setDraft(path);
    setPathError(null);
    restore.reset();
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    const checked = checkSnapshotPath(draft);
    if (!checked.ok) {
      setPathError(checked.message);
      return;
    }
    go(checked.segments.join("/"));
  }

  async function restoreFile(path: string) {
    if (!siteId || !snapshotId) return;
    setRestoring(null);
    let started: { operationId: string };
    try {
      started = await restore.mutateAsync({ id: siteId, snapshotId, path });
    } catch {
      return; // shown next to the path field by restoreErrors
    }
    setRestoring({ operationId: started.operationId, path });
    // The sites list shows the site's newest operation: now this restore.
    await queryClient.invalidateQueries(trpc.site.pathFilter());
  }
  const restoringPath = restoring && !finished ? restoring.path : null;

  const fieldError = pathError ?? listingErrors.fieldErrors.path ?? restoreErrors.fieldErrors.path ?? null;
  const formError = pathError ? null : (restoreErrors.formError ?? (listingErrors.fieldErrors.path ? null : listingErrors.formError));
  const crumbs = dir === "" ? [] : dir.split("/");

  return (
    <Dialog open={open} onClose={onClose} size="lg" title={`Files on ${when}`} description="Browse the site's files as they were, and put one back into the live site.">
      <form onSubmit={submit} className="mb-3 flex items-end gap-2" noValidate>
        <Field label="Folder or file" className="min-w-0 flex-1" error={fieldError ?? undefined} hint="A path inside the site, such as public/wp-config.php">
          <Input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="public" autoComplete="off" spellCheck={false} />
        </Field>
        <Button type="submit" variant="secondary">
          Open
        </Button>
      </form>
      <nav aria-label="Folder path" className="mb-2 flex flex-wrap items-center gap-1 text-sm">
        <button type="button" className="text-brand hover:underline" onClick={() => go("")}>
          Site
        </button>
        {crumbs.map((c, i) => (
          <span key={i} className="flex items-center gap-1">
            <span aria-hidden="true" className="text-zinc-400">
              /
            </span>
            <button type="button" className="text-brand hover:underline" onClick={() => go(crumbs.slice(0, i + 1).join("/"))}>
              {c}
            </button>
          </span>
        ))}
      </nav>
      <FormError message={formError} />
      {restoring && progress.data?.id === restoring.operationId && (
        <section aria-label={`Restoring ${restoring.path}`} className="mb-3">
          <OperationProgress op={progress.data} />
          {finished === "SUCCEEDED" && (
            <p role="status" className="mt-2 text-sm text-emerald-700 dark:text-emerald-400">
              Restored {restoring.path} from {when}.
            </p>
          )}
        </section>
      )}
      <div className="max-h-[50vh] overflow-y-auto">
        {listing.isPending && open ? (
          <p role="status" className="flex items-center gap-2 text-sm text-zinc-600 dark:text-zinc-400">
            <Spinner /> Loading…
          </p>
        ) : !listing.data ? null : listing.data.type === "dir" ? (
          <ul aria-label={`Files in ${dir || "the site"}`} className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {dir !== "" && (
              <li className="py-1.5">
                <button type="button" className="text-sm text-brand hover:underline" onClick={() => go(parentOf(dir))}>
                  ↑ Up one folder
                </button>
              </li>
            )}
            {listing.data.entries.length === 0 && <li className="py-2 text-sm text-zinc-500 dark:text-zinc-400">This folder is empty.</li>}
            {listing.data.entries.map((e) => {
              const path = join(dir, e.name);
              return (
                <li key={e.name} className="flex items-center gap-2 py-1.5 text-sm">
                  {e.type === "dir" ? (
                    <button type="button" className="min-w-0 truncate text-left font-medium text-brand hover:underline" onClick={() => go(path)} aria-label={`Open folder ${path}`}>
                      {e.name}/
                    </button>
                  ) : (
                    <span className="min-w-0 truncate font-mono text-xs text-zinc-800 dark:text-zinc-200" title={path}>
                      {e.name}
                      {e.type === "symlink" ? " →" : ""}
                    </span>
                  )}
                  {e.type === "file" && (
                    <>
                      <span className="ml-auto shrink-0 text-xs text-zinc-500 tabular-nums dark:text-zinc-400">{formatSize(e.sizeBytes)}</span>
                      <Button size="sm" variant="ghost" onClick={() => void restoreFile(path)} loading={(restore.isPending && restore.variables?.path === path) || restoringPath === path} aria-label={`Restore ${path}`}>
                        Restore
                      </Button>
                    </>
                  )}
                </li>
              );
            })}
            {listing.data.truncated && (
              <li className="py-2 text-xs text-zinc-500 dark:text-zinc-400">
                Showing {listing.data.entries.length} of {listing.data.total}; type a path above to reach the others.
              </li>
            )}
          </ul>
        ) : listing.data.type === "file" ? (
          <div className="flex items-center gap-2 text-sm">
            <span className="font-mono text-xs">{dir}</span>
            <span className="text-xs text-zinc-500 dark:text-zinc-400">{formatSize(listing.data.sizeBytes)}</span>
            <Button size="sm" className="ml-auto" onClick={() => void restoreFile(dir)} loading={restore.isPending || restoringPath === dir} aria-label={`Restore ${dir}`}>
              Restore
            </Button>
          </div>
        ) : (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            {dir} is a symbolic link to {listing.data.target}; links are not restored one at a time.
          </p>
        )}
      </div>
    </Dialog>
  );
}
