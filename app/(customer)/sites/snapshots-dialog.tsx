"use client";
import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Badge, type BadgeTone } from "@/app/_components/badge";
import { Button } from "@/app/_components/button";
import { Dialog } from "@/app/_components/dialog";
import { EmptyState } from "@/app/_components/empty-state";
import { FormError } from "@/app/_components/form-error";
import { Spinner } from "@/app/_components/spinner";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { toFieldErrors } from "@/app/_components/use-field-errors";
import { RollbackPreviewDialog } from "./rollback-preview-dialog";
import { SnapshotFilesDialog } from "./snapshot-files-dialog";
import { formatSize } from "./snapshot-format";

export type SnapshotsSite = { id: string; domain: { displayName: string }; usage?: { snapshotBytes: number } | null };

type SnapshotKind = "SCHEDULED" | "MANUAL" | "PRE_ROLLBACK" | "DIVERGENT";
type Snapshot = { id: string; kind: SnapshotKind; takenAt: Date; sizeBytes: number };

const kindBadges: Record<SnapshotKind, { label: string; tone: BadgeTone }> = {
  SCHEDULED: { label: "Scheduled", tone: "neutral" },
  MANUAL: { label: "Manual", tone: "brand" },
  PRE_ROLLBACK: { label: "Before rollback", tone: "info" },
  DIVERGENT: { label: "Divergent copy", tone: "warning" },
};

// Snapshots are taken every minute, so the time in a button's name carries seconds and the date:
// two entries of a long timeline must never share an accessible name.
const pointFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "always" });

export function formatSnapshotTime(takenAt: Date): string {
  return pointFormat.format(takenAt);
}

/** "5 minutes ago" within the last hour, else null (the clock time says enough). */
function ago(takenAt: Date, now: number): string | null {
  const minutes = Math.floor((now - takenAt.getTime()) / 60_000);
  if (minutes < 0 || minutes >= 60) return null;
  return minutes === 0 ? "just now" : relativeFormat.format(-minutes, "minute");
}

function dayKey(d: Date): string {
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

function dayHeading(d: Date, now: number): string {
  const today = new Date(now);
  const yesterday = new Date(now);
  yesterday.setDate(today.getDate() - 1);
  if (dayKey(d) === dayKey(today)) return "Today";
  if (dayKey(d) === dayKey(yesterday)) return "Yesterday";
  return dayFormat.format(d);
}

/** Newest first in, newest first out: consecutive snapshots of the same local day share a heading. */
function groupByDay(snapshots: Snapshot[]): { key: string; first: Date; items: Snapshot[] }[] {
  const groups: { key: string; first: Date; items: Snapshot[] }[] = [];
  for (const s of snapshots) {
    const key = dayKey(s.takenAt);
    const last = groups[groups.length - 1];
    if (last && last.key === key) last.items.push(s);
    else groups.push({ key, first: s.takenAt, items: [s] });
  }
  return groups;
}

/** While open, the clock that "x minutes ago" and the timeline's freshness follow. */
function useMinuteClock(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

/**
 * A live site's points in time (site.listSnapshots) and a way to put the site back to one of them
 * (site.rollback), after a preview of what that changes (site.previewRollback); or to browse one
 * snapshot's files and restore a single file (site.browseSnapshot, site.restoreSnapshotFile). The
 * rollback runs as an Operation, so after confirming, the sites list shows its steps; this dialog
 * closes rather than tracking it a second time.
 */
export function SnapshotsDialog({ site, onClose }: { site: SnapshotsSite | null; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const open = site !== null;
  const now = useMinuteClock(open);
  const q = useQuery({
    ...trpc.site.listSnapshots.queryOptions(site ? { id: site.id } : skipToken),
    // A new snapshot lands every minute by default; keep the top of the timeline current.
    refetchInterval: 60_000,
  });
  const rollback = useMutation(trpc.site.rollback.mutationOptions());
  const [chosen, setChosen] = useState<Snapshot | null>(null);
  const [browsing, setBrowsing] = useState<Snapshot | null>(null);

  useEffect(() => {
    if (!open) {
      setChosen(null);
      setBrowsing(null);
    }
  }, [open]);

  async function confirmRollback() {
    if (!site || !chosen) return;
    try {
      await rollback.mutateAsync({ id: site.id, snapshotId: chosen.id });
    } catch (error) {
      // The preview dialog shows the thrown message next to its buttons; prefer the snapshot field's
      // own message (e.g. "not on the node serving the site") over a generic summary.
      const { fieldErrors, formError } = toFieldErrors(error as Parameters<typeof toFieldErrors>[0]);
      throw new Error(fieldErrors.snapshotId ?? formError ?? "Something went wrong.");
    }
    toast({ title: `Rolling back ${site.domain.displayName}`, tone: "success" });
    setChosen(null);
    onClose();
    // The site's latestOperation is now the rollback; the list polls it while it is active. The
    // snapshot list changes too (the state before is kept as a PRE_ROLLBACK snapshot).
    await Promise.all([
      queryClient.invalidateQueries(trpc.site.pathFilter()),
      queryClient.invalidateQueries(trpc.dashboard.pathFilter()),
    ]);
  }

  const snapshots = q.data ?? [];
  const domain = site?.domain.displayName ?? "";
  const chosenTime = chosen ? formatSnapshotTime(chosen.takenAt) : "";
  const undoing = chosen?.kind === "PRE_ROLLBACK";

  return (
    <>
      <Dialog
        open={open}
        onClose={onClose}
        size="lg"
        title={`Roll back ${domain}`}
        description={`Points in time this site's files and databases can go back to, newest first.${
          site?.usage ? ` Together they take ${formatSize(site.usage.snapshotBytes)} beyond the live site, counted in your plan's disk.` : ""
        }`}
      >
        {q.isPending && open ? (
          <p className="flex items-center gap-2 text-sm text-zinc-600 dark:text-zinc-400" role="status">
            <Spinner /> Loading snapshots…
          </p>
        ) : q.error ? (
          <FormError message={q.error.message} />
        ) : snapshots.length === 0 ? (
          <EmptyState className="py-8" title="No snapshots yet" description="The first snapshot is taken within a minute of the site going live." />
        ) : (
          <div className="-mx-1 max-h-[60vh] overflow-y-auto px-1">
            {groupByDay(snapshots).map((group) => (
              <section key={group.key} aria-labelledby={`snapshots-day-${group.key}`} className="mb-4 last:mb-0">
                <h3
                  id={`snapshots-day-${group.key}`}
                  className="sticky top-0 z-10 bg-white py-1 text-xs font-semibold tracking-wide text-zinc-500 uppercase dark:bg-zinc-900 dark:text-zinc-400"
                >
                  {dayHeading(group.first, now)}
                </h3>
                <ol className="ml-1.5 border-l border-zinc-200 dark:border-zinc-700">
                  {group.items.map((s) => (
                    <SnapshotEntry key={s.id} snapshot={s} now={now} onChoose={() => setChosen(s)} onBrowse={() => setBrowsing(s)} />
                  ))}
                </ol>
              </section>
            ))}
          </div>
        )}
      </Dialog>
      {/* Siblings, not children: the outer dialog's Tab trap must not see their controls. */}
      <RollbackPreviewDialog
        open={chosen !== null}
        siteId={site?.id ?? null}
        snapshotId={chosen?.id ?? null}
        onClose={() => setChosen(null)}
        title={undoing ? `Undo the rollback of ${domain}?` : `Roll back ${domain}?`}
        description={`The site's files and databases go back to how they were at ${chosenTime}. The current state is kept as a snapshot, so you can undo this.`}
        confirmLabel={undoing ? "Undo rollback" : "Roll back"}
        onConfirm={confirmRollback}
      />
      <SnapshotFilesDialog
        open={browsing !== null}
        siteId={site?.id ?? null}
        snapshotId={browsing?.id ?? null}
        when={browsing ? formatSnapshotTime(browsing.takenAt) : ""}
        onClose={() => setBrowsing(null)}
      />
    </>
  );
}

function SnapshotEntry({ snapshot, now, onChoose, onBrowse }: { snapshot: Snapshot; now: number; onChoose: () => void; onBrowse: () => void }) {
  const badge = kindBadges[snapshot.kind];
  const when = formatSnapshotTime(snapshot.takenAt);
  const relative = ago(snapshot.takenAt, now);
  const undo = snapshot.kind === "PRE_ROLLBACK";
  return (
    <li className="relative flex flex-wrap items-center justify-between gap-2 py-2 pl-4">
      <span aria-hidden="true" className="absolute top-1/2 -left-[5px] size-2.5 -translate-y-1/2 rounded-full border-2 border-white bg-zinc-300 dark:border-zinc-900 dark:bg-zinc-600" />
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm">
        <time dateTime={snapshot.takenAt.toISOString()} title={when} className="font-medium text-zinc-900 tabular-nums dark:text-zinc-100">
          {timeFormat.format(snapshot.takenAt)}
        </time>
        {relative && <span className="text-xs text-zinc-500 dark:text-zinc-400">{relative}</span>}
        <Badge tone={badge.tone}>{badge.label}</Badge>
        <span className="text-xs text-zinc-500 tabular-nums dark:text-zinc-400">{formatSize(snapshot.sizeBytes)}</span>
      </div>
      <div className="flex gap-1">
        <Button variant="ghost" size="sm" onClick={onBrowse} aria-label={`Browse files of ${when}`}>
          Browse files
        </Button>
        <Button variant={undo ? "secondary" : "ghost"} size="sm" onClick={onChoose} aria-label={undo ? `Undo rollback (restore ${when})` : `Roll back to ${when}`}>
          {undo ? "Undo rollback (restore this)" : "Roll back to this"}
        </Button>
      </div>
    </li>
  );
}
