"use client";
import { skipToken, useQuery } from "@tanstack/react-query";
import { Badge, type BadgeTone } from "@/app/_components/badge";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { Spinner } from "@/app/_components/spinner";
import { useTRPC } from "@/app/_components/trpc-provider";
import { formatSize } from "./snapshot-format";

type Preview = NonNullable<ReturnType<typeof usePreview>["data"]>;

/** Rows of the file list shown before "and N more" (the node sends at most 200). */
const SHOWN_FILES = 40;

function usePreview(siteId: string | null, snapshotId: string | null) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.site.previewRollback.queryOptions(siteId && snapshotId ? { id: siteId, snapshotId } : skipToken),
    // The live site changes under the customer's eyes; a preview older than this is re-asked.
    staleTime: 10_000,
    // Each preview dumps the live database on the node: not again because the window got focus.
    refetchOnWindowFocus: false,
    retry: false,
  });
}

const fileChange: Record<"added" | "removed" | "changed", { label: string; tone: BadgeTone }> = {
  changed: { label: "Restored", tone: "info" },
  added: { label: "Deleted", tone: "warning" },
  removed: { label: "Brought back", tone: "success" },
};

/**
 * The rollback's confirmation with its preview (site.previewRollback): what the node that serves
 * the site would change, files and databases, before the customer says yes. The rollback itself
 * (onConfirm: site.rollback) runs as an Operation the sites list follows.
 */
export function RollbackPreviewDialog({
  open,
  siteId,
  snapshotId,
  title,
  description,
  confirmLabel,
  onClose,
  onConfirm,
}: {
  open: boolean;
  siteId: string | null;
  snapshotId: string | null;
  title: string;
  description: string;
  confirmLabel: string;
  onClose: () => void;
  onConfirm: () => Promise<void>;
}) {
  const preview = usePreview(open ? siteId : null, open ? snapshotId : null);
  return (
    <ConfirmDialog open={open} onClose={onClose} title={title} description={description} confirmLabel={confirmLabel} destructive={false} onConfirm={onConfirm} size="lg">
      <section aria-label="What the rollback changes" className="max-h-[50vh] overflow-y-auto rounded-md border border-zinc-200 p-3 dark:border-zinc-700">
        {preview.isPending ? (
          <p role="status" className="flex items-center gap-2 text-sm text-zinc-600 dark:text-zinc-400">
            <Spinner /> Comparing the snapshot with the live site…
          </p>
        ) : preview.error ? (
          <p role="alert" className="text-sm text-amber-800 dark:text-amber-300">
            The preview is not available ({preview.error.message}). You can still roll back.
          </p>
        ) : (
          <PreviewBody preview={preview.data} />
        )}
      </section>
    </ConfirmDialog>
  );
}

function PreviewBody({ preview }: { preview: Preview }) {
  const f = preview.files;
  const fileChanges = f.added + f.removed + f.changed;
  const dbChanges = preview.databases.filter((d) => d.status !== "same");
  if (f.complete && fileChanges === 0 && dbChanges.length === 0) {
    return <p className="text-sm text-zinc-700 dark:text-zinc-300">Nothing has changed since this snapshot: the rollback would leave the site as it is.</p>;
  }
  return (
    <div className="space-y-4 text-sm">
      <div>
        <h3 className="font-semibold text-zinc-900 dark:text-zinc-100">Files</h3>
        {!f.complete ? (
          <p className="text-zinc-600 dark:text-zinc-400">The site has too many files to compare here; all of them go back to the snapshot.</p>
        ) : fileChanges === 0 ? (
          <p className="text-zinc-600 dark:text-zinc-400">No file has changed since this snapshot.</p>
        ) : (
          <>
            <p className="text-zinc-700 dark:text-zinc-300">
              {[
                f.changed > 0 && `${plural(f.changed, "file")} ${f.changed === 1 ? "goes" : "go"} back to the snapshot's version`,
                f.added > 0 && `${plural(f.added, "file")} added since ${f.added === 1 ? "is" : "are"} deleted`,
                f.removed > 0 && `${plural(f.removed, "file")} removed since ${f.removed === 1 ? "comes" : "come"} back`,
              ]
                .filter(Boolean)
                .join("; ")}
              {f.unchanged > 0 && ` (${plural(f.unchanged, "file")} unchanged)`}.
            </p>
            <ul className="mt-2 space-y-1">
              {f.entries.slice(0, SHOWN_FILES).map((e) => (
                <li key={`${e.change}:${e.path}`} className="flex items-center gap-2">
                  <Badge tone={fileChange[e.change].tone}>{fileChange[e.change].label}</Badge>
                  <span className="min-w-0 truncate font-mono text-xs" title={e.path}>
                    {e.path}
                    {e.type === "dir" ? "/" : ""}
                  </span>
                  <span className="ml-auto shrink-0 text-xs text-zinc-500 tabular-nums dark:text-zinc-400">
                    {e.change === "changed" ? `${formatSize(e.liveBytes ?? 0)} → ${formatSize(e.snapshotBytes ?? 0)}` : formatSize((e.liveBytes ?? e.snapshotBytes) ?? 0)}
                  </span>
                </li>
              ))}
            </ul>
            {fileChanges > Math.min(SHOWN_FILES, f.entries.length) && (
              <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">…and {fileChanges - Math.min(SHOWN_FILES, f.entries.length)} more.</p>
            )}
          </>
        )}
      </div>
      {preview.databases.length > 0 && (
        <div>
          <h3 className="font-semibold text-zinc-900 dark:text-zinc-100">Databases</h3>
          <ul className="space-y-2">
            {preview.databases.map((d) => (
              <li key={d.name}>
                <p className="text-zinc-700 dark:text-zinc-300">
                  <span className="font-mono text-xs">{d.name}</span>: {databaseSummary(d)}
                </p>
                {d.tables.length > 0 && (
                  <table className="mt-1 w-full text-xs">
                    <thead>
                      <tr className="text-left text-zinc-500 dark:text-zinc-400">
                        <th className="font-medium">Table</th>
                        <th className="text-right font-medium">Rows now</th>
                        <th className="text-right font-medium">Rows after</th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.tables.slice(0, 20).map((t) => (
                        <tr key={t.name}>
                          <td className="font-mono">
                            {t.name}
                            {t.change === "added" ? " (dropped)" : t.change === "removed" ? " (brought back)" : ""}
                          </td>
                          <td className="text-right tabular-nums">{t.liveRows ?? "–"}</td>
                          <td className="text-right tabular-nums">{t.snapshotRows ?? "–"}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function databaseSummary(d: Preview["databases"][number]): string {
  switch (d.status) {
    case "same":
      return "unchanged.";
    case "changed":
      return `${plural(d.tables.length + (d.truncated ? 1 : 0), "table")} of ${d.tablesTotal} go${d.tables.length === 1 && !d.truncated ? "es" : ""} back.`;
    case "not-live":
      return "not there now; the rollback brings it back.";
    case "not-in-snapshot":
      return "not in this snapshot, so the rollback cannot put it back: choose a newer snapshot.";
    case "too-large":
      return `too large to compare here (${formatSize(d.snapshotBytes ?? 0)} in the snapshot); it goes back as a whole.`;
  }
}
