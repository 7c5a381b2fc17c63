"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from "react";
import { Badge } from "@/app/_components/badge";
import { Card } from "@/app/_components/card";
import { Button } from "@/app/_components/button";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { Dialog } from "@/app/_components/dialog";
import { Field, Select } from "@/app/_components/field";
import { cx } from "@/app/_components/cx";
import { EmptyState } from "@/app/_components/empty-state";
import { NodeHealthBadge } from "@/app/_components/node-health-badge";
import { Spinner } from "@/app/_components/spinner";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { toFieldErrors } from "@/app/_components/use-field-errors";
import type { ClusterMapOutput } from "@/server/trpc/routers/cluster/get-cluster-map.schema";

type ClusterNode = ClusterMapOutput["nodes"][number];
type ClusterSite = ClusterMapOutput["sites"][number];
type Feed = "connecting" | "live" | "polling";

/** Marks per node before "+N more": a node can hold hundreds of sites, the busiest matter most. */
const MAX_MARKS = 48;
/** Consecutive EventSource errors (without a message between) before the page falls back to polling. */
const MAX_STREAM_ERRORS = 3;

/**
 * The live map: server-sent events from /api/admin/cluster/events, or polling cluster.getMap
 * every two seconds where EventSource is missing or keeps failing (a proxy that buffers streams).
 */
function useClusterMap(): { map: ClusterMapOutput | undefined; feed: Feed; error: { message: string } | null } {
  const trpc = useTRPC();
  const [streamed, setStreamed] = useState<ClusterMapOutput | undefined>(undefined);
  const [feed, setFeed] = useState<Feed>("connecting");

  useEffect(() => {
    if (typeof EventSource === "undefined") {
      setFeed("polling");
      return;
    }
    const source = new EventSource("/api/admin/cluster/events");
    let errors = 0;
    source.addEventListener("map", (event) => {
      errors = 0;
      setStreamed(JSON.parse((event as MessageEvent<string>).data) as ClusterMapOutput);
      setFeed("live");
    });
    source.addEventListener("open", () => {
      errors = 0;
    });
    // The server ends each stream after a few minutes and EventSource reconnects by itself (that
    // re-checks the session); only repeated failures, or a refusal (CLOSED), mean polling.
    source.addEventListener("error", () => {
      errors++;
      if (source.readyState === EventSource.CLOSED || errors >= MAX_STREAM_ERRORS) {
        source.close();
        setFeed("polling");
      }
    });
    return () => source.close();
  }, []);

  const polled = useQuery({
    ...trpc.cluster.getMap.queryOptions(undefined),
    enabled: feed === "polling",
    refetchInterval: 2_000,
  });
  return feed === "polling" ? { map: polled.data, feed, error: polled.error } : { map: streamed, feed, error: null };
}

/** Pixels the pointer travels before a press on a mark becomes a drag (a click stays a click). */
const DRAG_THRESHOLD_PX = 5;

type Drag = { site: ClusterSite; fromNodeId: string; x: number; y: number; started: boolean; overNodeId: string | null };
type DragApi = {
  drag: Drag | null;
  begin: (site: ClusterSite, e: ReactPointerEvent) => void;
  /** The keyboard's way (Enter or Space on a mark): choose the node in a dialog instead. */
  pick: (site: ClusterSite) => void;
};
const DragContext = createContext<DragApi>({ drag: null, begin: () => undefined, pick: () => undefined });

/** The node card under a screen point (cards carry data-node-drop with their id). */
function nodeAt(x: number, y: number): string | null {
  const el = typeof document === "undefined" ? null : document.elementFromPoint(x, y);
  return (el?.closest("[data-node-drop]") as HTMLElement | null)?.dataset.nodeDrop ?? null;
}

/**
 * Drag a live site's mark onto another node to move it there (site.move, after a confirmation):
 * pointer events on the window, so it works the same with a mouse, a pen, a finger and in
 * headless Chromium. A pinned site, or one already moving, refuses with a message instead.
 */
function useSiteDrag(names: Map<string, string>, onDrop: (site: ClusterSite, toNodeId: string) => void, onRefuse: (message: string) => void): Omit<DragApi, "pick"> {
  const [drag, setDrag] = useState<Drag | null>(null);
  const ref = useRef<Drag | null>(null);
  const handlers = useRef({ onDrop, onRefuse, names });
  handlers.current = { onDrop, onRefuse, names };

  useEffect(() => {
    if (!drag) return;
    const move = (e: PointerEvent) => {
      const d = ref.current;
      if (!d) return;
      const started = d.started || Math.hypot(e.clientX - d.x, e.clientY - d.y) >= DRAG_THRESHOLD_PX;
      if (started && !d.started) {
        const refusal = refuseReason(d.site, handlers.current.names);
        if (refusal) {
          ref.current = null;
          setDrag(null);
          handlers.current.onRefuse(refusal);
          return;
        }
      }
      const next = { ...d, x: e.clientX, y: e.clientY, started, overNodeId: started ? nodeAt(e.clientX, e.clientY) : null };
      ref.current = next;
      setDrag(next);
    };
    const up = (e: PointerEvent) => {
      const d = ref.current;
      ref.current = null;
      setDrag(null);
      if (!d?.started) return;
      const target = nodeAt(e.clientX, e.clientY);
      if (target && target !== d.fromNodeId) handlers.current.onDrop(d.site, target);
    };
    const cancel = () => {
      ref.current = null;
      setDrag(null);
    };
    const key = (e: KeyboardEvent) => e.key === "Escape" && cancel();
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", cancel);
    window.addEventListener("keydown", key);
    return () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", cancel);
      window.removeEventListener("keydown", key);
    };
  }, [drag !== null]); // eslint-disable-line react-hooks/exhaustive-deps -- listeners live for one drag

  return {
    drag,
    begin(site, e) {
      if (e.button !== 0 || !site.liveNodeId) return;
      e.preventDefault();
      const d = { site, fromNodeId: site.liveNodeId, x: e.clientX, y: e.clientY, started: false, overNodeId: null };
      ref.current = d;
      setDrag(d);
    },
  };
}

function refuseReason(site: ClusterSite, names: Map<string, string>): string | null {
  if (site.pinnedNodeId) return `${site.name} is pinned to ${names.get(site.pinnedNodeId) ?? "a node"}: unpin it before moving it.`;
  if (site.move) return `${site.name} is already moving; wait for that move to finish.`;
  if (site.status !== "ACTIVE") return `${site.name} is ${site.status.toLowerCase()}; only an active site is moved.`;
  return null;
}

export function ClusterMap() {
  const { map, feed, error } = useClusterMap();
  const trpc = useTRPC();
  const toast = useToast();
  const move = useMutation(trpc.site.move.mutationOptions());
  const [pending, setPending] = useState<{ site: ClusterSite; toNodeId: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [choosing, setChoosing] = useState<ClusterSite | null>(null);
  const [choice, setChoice] = useState("");
  const nodeNames = new Map((map?.nodes ?? []).map((n) => [n.id, n.name]));
  const dragApi = useSiteDrag(
    nodeNames,
    (site, toNodeId) => {
      setNotice(null);
      setPending({ site, toNodeId });
    },
    setNotice,
  );
  const api: DragApi = {
    ...dragApi,
    pick(site) {
      const refusal = refuseReason(site, nodeNames);
      if (refusal) return setNotice(refusal);
      setNotice(null);
      setChoice("");
      setChoosing(site);
    },
  };

  async function confirmMove() {
    if (!pending) return;
    try {
      await move.mutateAsync({ id: pending.site.id, toNodeId: pending.toNodeId });
    } catch (e) {
      const { fieldErrors, formError } = toFieldErrors(e as Parameters<typeof toFieldErrors>[0]);
      throw new Error(fieldErrors.toNodeId ?? formError ?? "The move could not be started.");
    }
    toast({ title: `Moving ${pending.site.name} to ${nodeNames.get(pending.toNodeId) ?? "the node"}`, description: "Requests are held at the edges during the switch.", tone: "success" });
  }

  if (error) return <p role="alert" className="text-sm text-red-700 dark:text-red-400">The cluster map could not be loaded: {error.message}</p>;
  if (!map) {
    return (
      <p className="flex items-center gap-2 text-sm text-zinc-600 dark:text-zinc-400">
        <Spinner className="size-4" /> Loading the cluster map…
      </p>
    );
  }
  const sitesById = new Map(map.sites.map((s) => [s.id, s]));
  const names = new Map(map.nodes.map((n) => [n.id, n.name]));
  const unserved = map.sites.filter((s) => !s.liveNodeId || !names.has(s.liveNodeId));
  const moving = map.sites.filter((s) => s.move).length;
  const paused = map.sites.filter((s) => s.paused).length;
  const unprotected = map.sites.filter((s) => !s.protected).length;

  const drag = dragApi.drag?.started ? dragApi.drag : null;
  return (
    <DragContext.Provider value={api}>
    <div className={cx("space-y-4", drag && "cursor-grabbing select-none")}>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {map.nodes.length} {map.nodes.length === 1 ? "node" : "nodes"} · {map.sites.length} {map.sites.length === 1 ? "site" : "sites"}
          {moving > 0 && ` · ${moving} moving`}
          {paused > 0 && ` · ${paused} paused`}
          {` · ${unprotected} unprotected`}
        </p>
        <FeedBadge feed={feed} />
      </div>
      <Legend />
      <p className="text-xs text-zinc-500 dark:text-zinc-400">Drag a live site onto another node to move it there (or focus it and press Enter).</p>
      {notice && (
        <p role="alert" className="flex items-center justify-between gap-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          <span className="flex items-center gap-1.5">
            <PinIcon /> {notice}
          </span>
          <button type="button" className="text-xs underline" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      )}
      {map.nodes.length === 0 ? (
        <Card>
          <EmptyState title="No nodes yet" description="Register a node on the Nodes page; it appears here once it is part of the cluster." />
        </Card>
      ) : (
        <ul aria-label="Nodes" className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
          {map.nodes.map((node) => (
            <NodeCard key={node.id} node={node} sites={map.sites} sitesById={sitesById} names={names} dropTarget={drag !== null && drag.overNodeId === node.id && drag.fromNodeId !== node.id} />
          ))}
        </ul>
      )}
      {unserved.length > 0 && (
        <Card className="p-4">
          <h2 className="mb-2 text-sm font-semibold text-zinc-900 dark:text-zinc-100">Not served by any node</h2>
          <ul className="flex flex-wrap gap-1.5">
            {unserved.map((s) => (
              <li key={s.id}>
                <SiteMark site={s} kind="live" names={names} />
              </li>
            ))}
          </ul>
        </Card>
      )}
      <ReplicationTable sites={map.sites} names={names} />
      {drag && (
        <span
          aria-hidden="true"
          className={cx("pointer-events-none fixed z-50 -translate-x-1/2 -translate-y-1/2 rounded px-1.5 py-0.5 text-xs shadow-lg", markStyles.live, "bg-white dark:bg-zinc-900")}
          style={{ left: drag.x, top: drag.y }}
        >
          {drag.site.name}
        </span>
      )}
      <Dialog
        open={choosing !== null}
        onClose={() => setChoosing(null)}
        title={choosing ? `Move ${choosing.name}` : ""}
        description="Choose the node it moves to; you confirm on the next step."
        size="sm"
      >
        <form
          className="flex flex-col gap-4"
          onSubmit={(e) => {
            e.preventDefault();
            if (!choosing || !choice) return;
            setPending({ site: choosing, toNodeId: choice });
            setChoosing(null);
          }}
        >
          <Field label="To node">
            <Select value={choice} onChange={(e) => setChoice(e.target.value)} required>
              <option value="">Choose a node…</option>
              {map.nodes
                .filter((n) => n.id !== choosing?.liveNodeId)
                .map((n) => (
                  <option key={n.id} value={n.id} disabled={n.status !== "HEALTHY"}>
                    {n.name}
                    {n.status !== "HEALTHY" ? ` (${n.status.toLowerCase()})` : ""}
                  </option>
                ))}
            </Select>
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setChoosing(null)}>
              Cancel
            </Button>
            <Button type="submit" disabled={!choice}>
              Continue
            </Button>
          </div>
        </form>
      </Dialog>
      <ConfirmDialog
        open={pending !== null}
        onClose={() => setPending(null)}
        title={pending ? `Move ${pending.site.name} to ${names.get(pending.toNodeId) ?? "that node"}?` : ""}
        description={
          pending
            ? `The site's files and databases are copied from ${names.get(pending.site.liveNodeId ?? "") ?? "its node"} while it keeps serving; then requests are held for a moment at every edge while the last changes cross, and released on the new node. ${names.get(pending.site.liveNodeId ?? "") ?? "The old node"} keeps a replica.`
            : ""
        }
        confirmLabel="Move site"
        destructive={false}
        onConfirm={confirmMove}
      />
    </div>
    </DragContext.Provider>
  );
}

/** How far behind each replica is, and whether the site survives losing its live node. */
function ReplicationTable({ sites, names }: { sites: ClusterSite[]; names: Map<string, string> }) {
  const rows = [...sites]
    .filter((s) => s.liveNodeId)
    .sort((a, b) => Number(a.protected) - Number(b.protected) || maxLag(b) - maxLag(a) || a.name.localeCompare(b.name))
    .slice(0, 100);
  if (rows.length === 0) return null;
  return (
    <Card className="overflow-x-auto p-4">
      <h2 className="mb-2 text-sm font-semibold text-zinc-900 dark:text-zinc-100">Replica lag</h2>
      <table aria-label="Replica lag" className="w-full text-left text-xs">
        <thead className="text-zinc-500 dark:text-zinc-400">
          <tr>
            <th className="py-1 pr-3 font-medium">Site</th>
            <th className="py-1 pr-3 font-medium">Live on</th>
            <th className="py-1 pr-3 font-medium">Newest snapshot</th>
            <th className="py-1 pr-3 font-medium">Replicas (behind the live copy)</th>
            <th className="py-1 font-medium">Protection</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {rows.map((s) => (
            <tr key={s.id} aria-label={`Replication of ${s.name}`}>
              <td className="py-1 pr-3 font-medium text-zinc-900 dark:text-zinc-100">{s.name}</td>
              <td className="py-1 pr-3">{names.get(s.liveNodeId ?? "") ?? "–"}</td>
              <td className="py-1 pr-3 tabular-nums">{s.newestSnapshotAgeSec === null ? "none yet" : `${formatAge(s.newestSnapshotAgeSec)} ago`}</td>
              <td className="py-1 pr-3 tabular-nums">
                {s.replicas.length === 0
                  ? "no replica"
                  : s.replicas.map((r) => `${names.get(r.nodeId) ?? "?"}: ${r.lagSec === null ? "no snapshot yet" : formatAge(r.lagSec)}`).join(" · ")}
              </td>
              <td className="py-1">{s.protected ? <Badge tone="success">Protected</Badge> : <Badge tone="warning">Unprotected</Badge>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">Protected: a healthy node holds a replica at most 5 minutes behind the live copy.</p>
    </Card>
  );
}

const maxLag = (s: ClusterSite) => Math.max(-1, ...s.replicas.map((r) => r.lagSec ?? Number.MAX_SAFE_INTEGER));

function formatAge(sec: number): string {
  if (sec < 90) return `${sec} s`;
  if (sec < 5400) return `${Math.round(sec / 60)} min`;
  return `${Math.round(sec / 3600)} h`;
}

function FeedBadge({ feed }: { feed: Feed }) {
  if (feed === "live") return <Badge tone="success" dot className="[&>span:first-child]:animate-pulse">Live</Badge>;
  if (feed === "polling") return <Badge tone="info" dot>Updating every 2 s</Badge>;
  return <Badge tone="neutral">Connecting…</Badge>;
}

function Legend() {
  return (
    <dl aria-label="Legend" className="flex flex-wrap gap-x-5 gap-y-2 text-xs text-zinc-600 dark:text-zinc-400">
      <LegendItem label="Live site" className={markStyles.live} />
      <LegendItem label="Replica (lag shown when known)" className={markStyles.replica} />
      <LegendItem label="Moving" className={markStyles.moving} />
      <LegendItem label="Paused (requests held)" className={markStyles.paused} />
      <LegendItem label="Suspended" className={markStyles.suspended} />
      <div className="flex items-center gap-1.5">
        <dt>
          <PinIcon />
        </dt>
        <dd>Pinned to this node</dd>
      </div>
    </dl>
  );
}

function LegendItem({ label, className }: { label: string; className: string }) {
  return (
    <div className="flex items-center gap-1.5">
      <dt aria-hidden="true" className={cx("inline-block h-3 w-6 rounded", className)} />
      <dd>{label}</dd>
    </div>
  );
}

const markStyles = {
  live: "bg-brand/15 ring-1 ring-inset ring-brand/40 text-zinc-900 dark:text-zinc-100",
  replica: "border border-dashed border-zinc-300 text-zinc-500 dark:border-zinc-600 dark:text-zinc-400",
  moving: "bg-sky-100 ring-2 ring-sky-500 text-sky-900 animate-pulse dark:bg-sky-950 dark:text-sky-200",
  paused:
    "bg-amber-100 ring-2 ring-amber-500 text-amber-900 bg-[repeating-linear-gradient(135deg,transparent_0_4px,rgb(245_158_11/0.25)_4px_8px)] dark:bg-amber-950 dark:text-amber-200",
  suspended: "bg-zinc-100 text-zinc-500 line-through dark:bg-zinc-800 dark:text-zinc-400",
} as const;

function pctTone(p: number): string {
  return p >= 85 ? "bg-red-500" : p >= 60 ? "bg-amber-500" : "bg-emerald-500";
}

function Meter({ label, value, text }: { label: string; value: number; text: string }) {
  const pct = Math.max(0, Math.min(100, value));
  return (
    <div>
      <div className="mb-0.5 flex justify-between text-xs text-zinc-600 dark:text-zinc-400">
        <span>{label}</span>
        <span className="tabular-nums">{text}</span>
      </div>
      <div role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} aria-valuetext={text} className="h-1.5 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800">
        <div className={cx("h-full rounded-full", pctTone(pct))} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

function formatMb(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${mb} MB`;
}

function NodeCard({
  node,
  sites,
  sitesById,
  names,
  dropTarget,
}: {
  node: ClusterNode;
  sites: ClusterSite[];
  sitesById: Map<string, ClusterSite>;
  names: Map<string, string>;
  dropTarget: boolean;
}) {
  const live = sites.filter((s) => s.liveNodeId === node.id).sort((a, b) => (b.requestsPerSec ?? 0) - (a.requestsPerSec ?? 0) || a.name.localeCompare(b.name));
  const replicas = sites.flatMap((s) => s.replicas.filter((r) => r.nodeId === node.id).map((r) => ({ site: s, lagSec: r.lagSec })));
  const pinnedElsewhere = sites.filter((s) => s.pinnedNodeId === node.id && s.liveNodeId !== node.id);
  const shownLive = live.slice(0, MAX_MARKS);
  const shownReplicas = replicas.slice(0, Math.max(0, MAX_MARKS - shownLive.length));
  const down = node.status === "DEAD";
  return (
    // The drop target of a dragged live mark (useSiteDrag finds it by data-node-drop).
    <li aria-label={`Node ${node.name}`} data-node-drop={node.id}>
      <Card className={cx("flex h-full flex-col gap-3 p-4 transition-shadow", down && "border-red-300 dark:border-red-900", dropTarget && "ring-2 ring-brand ring-offset-2 dark:ring-offset-zinc-950")}>
        <div className="flex items-start justify-between gap-2">
          <div className="min-w-0">
            <h2 className="truncate text-sm font-semibold text-zinc-900 dark:text-zinc-100">{node.name}</h2>
            <p className="text-xs text-zinc-500 dark:text-zinc-400">
              {node.heartbeatAgeSec === null ? "never heard from" : `last heartbeat ${node.heartbeatAgeSec} s ago`} · {node.liveSites}/{node.capacitySites} sites
              {node.replicaSites > 0 && ` · ${node.replicaSites} ${node.replicaSites === 1 ? "replica" : "replicas"}`}
            </p>
          </div>
          <NodeHealthBadge status={node.status} silentSec={node.silentSec} />
        </div>
        {node.load ? (
          <div className="space-y-2">
            <Meter label="CPU" value={node.load.cpuPct} text={`${Math.round(node.load.cpuPct)}% · load ${node.load.load1.toFixed(2)}`} />
            <Meter
              label="Memory"
              value={node.load.memoryTotalMb > 0 ? (100 * node.load.memoryUsedMb) / node.load.memoryTotalMb : 0}
              text={`${formatMb(node.load.memoryUsedMb)} / ${formatMb(node.load.memoryTotalMb)}`}
            />
            <p className="text-xs text-zinc-600 tabular-nums dark:text-zinc-400">{node.load.requestsPerSec.toFixed(1)} req/s</p>
          </div>
        ) : (
          <p className="text-xs text-zinc-500 dark:text-zinc-400">No load figures reported.</p>
        )}
        <div>
          <h3 className="sr-only">Sites on {node.name}</h3>
          {live.length === 0 && replicas.length === 0 ? (
            <p className="text-xs text-zinc-500 dark:text-zinc-400">No sites.</p>
          ) : (
            <ul className="flex flex-wrap gap-1.5">
              {shownLive.map((s) => (
                <li key={s.id}>
                  <SiteMark site={s} kind="live" names={names} />
                </li>
              ))}
              {shownReplicas.map(({ site, lagSec }) => (
                <li key={`r-${site.id}`}>
                  <SiteMark site={site} kind="replica" lagSec={lagSec} names={names} />
                </li>
              ))}
              {live.length + replicas.length > shownLive.length + shownReplicas.length && (
                <li className="self-center text-xs text-zinc-500 dark:text-zinc-400">+{live.length + replicas.length - shownLive.length - shownReplicas.length} more</li>
              )}
            </ul>
          )}
          {pinnedElsewhere.length > 0 && (
            <p className="mt-2 flex items-center gap-1 text-xs text-amber-800 dark:text-amber-300">
              <PinIcon /> Pinned here but served elsewhere: {pinnedElsewhere.map((s) => sitesById.get(s.id)?.name).join(", ")}
            </p>
          )}
        </div>
      </Card>
    </li>
  );
}

function describeSite(site: ClusterSite, kind: "live" | "replica", lagSec: number | null | undefined, names: Map<string, string>): string {
  const parts = [site.name, kind === "live" ? "live" : "replica"];
  if (kind === "replica") parts.push(lagSec === null || lagSec === undefined ? "lag unknown" : `${lagSec} s behind`);
  if (kind === "live") {
    if (site.requestsPerSec !== null) parts.push(`${site.requestsPerSec.toFixed(1)} req/s`);
    parts.push(`epoch ${site.epoch}`);
    parts.push(site.protected ? "protected" : "unprotected");
  }
  if (site.pinnedNodeId) parts.push(`pinned to ${names.get(site.pinnedNodeId) ?? "a removed node"}`);
  if (site.move) parts.push(`moving${site.move.step ? ` (${site.move.step}, step ${site.move.stepsDone + 1} of ${site.move.stepsTotal})` : ""}`);
  if (site.paused) parts.push("paused: requests held");
  if (site.status === "SUSPENDED") parts.push("suspended");
  return parts.join(" · ");
}

function SiteMark({ site, kind, lagSec, names }: { site: ClusterSite; kind: "live" | "replica"; lagSec?: number | null; names: Map<string, string> }) {
  const { drag, begin, pick } = useContext(DragContext);
  const draggable = kind === "live" && site.liveNodeId !== null;
  const lifted = draggable && drag?.started === true && drag.site.id === site.id;
  const style =
    kind === "replica"
      ? markStyles.replica
      : site.paused
        ? markStyles.paused
        : site.move
          ? markStyles.moving
          : site.status === "SUSPENDED"
            ? markStyles.suspended
            : markStyles.live;
  const text = describeSite(site, kind, lagSec, names);
  return (
    <span
      title={text}
      data-site-mark={kind}
      data-site-id={site.id}
      onPointerDown={draggable ? (e) => begin(site, e) : undefined}
      // Keyboard users move a site with Enter or Space (a dialog asks for the node).
      role={draggable ? "button" : undefined}
      tabIndex={draggable ? 0 : undefined}
      onKeyDown={
        draggable
          ? (e) => {
              if (e.key === "Enter" || e.key === " ") {
                e.preventDefault();
                pick(site);
              }
            }
          : undefined
      }
      className={cx(
        "inline-flex max-w-48 items-center gap-1 rounded px-1.5 py-0.5 text-xs focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-brand",
        style,
        draggable && (site.pinnedNodeId ? "cursor-not-allowed touch-none select-none" : "cursor-grab touch-none select-none"),
        lifted && "opacity-40",
      )}
    >
      {/* The visible mark is terse; a screen reader gets the whole description once. */}
      <span aria-hidden="true" className="inline-flex min-w-0 items-center gap-1">
        {kind === "live" && site.pinnedNodeId && <PinIcon />}
        <span className="truncate">{site.name}</span>
        {kind === "replica" && lagSec !== null && lagSec !== undefined && <span className="tabular-nums opacity-80">{lagSec}s</span>}
        {kind === "live" && site.paused && <span className="font-medium">paused</span>}
        {kind === "live" && !site.paused && site.move && <span className="font-medium">moving</span>}
      </span>
      <span className="sr-only">{text}</span>
    </span>
  );
}

function PinIcon() {
  return (
    <svg aria-label="pinned" role="img" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.75" className="size-3 shrink-0">
      <path strokeLinecap="round" strokeLinejoin="round" d="M9 4h6l-1 5 3 3v2H7v-2l3-3-1-5Zm3 10v6" />
    </svg>
  );
}
