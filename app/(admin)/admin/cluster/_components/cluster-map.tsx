"use client";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Badge, StatusBadge } from "@/app/_components/badge";
import { Card } from "@/app/_components/card";
import { cx } from "@/app/_components/cx";
import { EmptyState } from "@/app/_components/empty-state";
import { Spinner } from "@/app/_components/spinner";
import { useTRPC } from "@/app/_components/trpc-provider";
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

export function ClusterMap() {
  const { map, feed, error } = useClusterMap();
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

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {map.nodes.length} {map.nodes.length === 1 ? "node" : "nodes"} · {map.sites.length} {map.sites.length === 1 ? "site" : "sites"}
          {moving > 0 && ` · ${moving} moving`}
          {paused > 0 && ` · ${paused} paused`}
          {` · ${unprotected} without a replica snapshot`}
        </p>
        <FeedBadge feed={feed} />
      </div>
      <Legend />
      {map.nodes.length === 0 ? (
        <Card>
          <EmptyState title="No nodes yet" description="Register a node on the Nodes page; it appears here once it is part of the cluster." />
        </Card>
      ) : (
        <ul aria-label="Nodes" className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
          {map.nodes.map((node) => (
            <NodeCard key={node.id} node={node} sites={map.sites} sitesById={sitesById} names={names} />
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
    </div>
  );
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
}: {
  node: ClusterNode;
  sites: ClusterSite[];
  sitesById: Map<string, ClusterSite>;
  names: Map<string, string>;
}) {
  const live = sites.filter((s) => s.liveNodeId === node.id).sort((a, b) => (b.requestsPerSec ?? 0) - (a.requestsPerSec ?? 0) || a.name.localeCompare(b.name));
  const replicas = sites.flatMap((s) => s.replicas.filter((r) => r.nodeId === node.id).map((r) => ({ site: s, lagSec: r.lagSec })));
  const pinnedElsewhere = sites.filter((s) => s.pinnedNodeId === node.id && s.liveNodeId !== node.id);
  const shownLive = live.slice(0, MAX_MARKS);
  const shownReplicas = replicas.slice(0, Math.max(0, MAX_MARKS - shownLive.length));
  const down = node.status === "DEAD";
  return (
    // Drop target for planned moves (not built yet): when site.move exists, this card accepts a
    // dragged live mark from another node, asks for confirmation ("Move shop.test from node-1 to
    // node-2?") and calls the move procedure; the mark then shows as moving via the feed.
    <li aria-label={`Node ${node.name}`}>
      <Card className={cx("flex h-full flex-col gap-3 p-4", down && "border-red-300 dark:border-red-900")}>
        <div className="flex items-start justify-between gap-2">
          <div className="min-w-0">
            <h2 className="truncate text-sm font-semibold text-zinc-900 dark:text-zinc-100">{node.name}</h2>
            <p className="text-xs text-zinc-500 dark:text-zinc-400">
              {node.heartbeatAgeSec === null ? "never heard from" : `heartbeat ${node.heartbeatAgeSec} s ago`} · {node.liveSites}/{node.capacitySites} sites
              {node.replicaSites > 0 && ` · ${node.replicaSites} ${node.replicaSites === 1 ? "replica" : "replicas"}`}
            </p>
          </div>
          <StatusBadge status={node.status} />
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
    if (!site.protected) parts.push("no replica snapshot yet");
  }
  if (site.pinnedNodeId) parts.push(`pinned to ${names.get(site.pinnedNodeId) ?? "a removed node"}`);
  if (site.move) parts.push(`moving${site.move.step ? ` (${site.move.step}, step ${site.move.stepsDone + 1} of ${site.move.stepsTotal})` : ""}`);
  if (site.paused) parts.push("paused: requests held");
  if (site.status === "SUSPENDED") parts.push("suspended");
  return parts.join(" · ");
}

function SiteMark({ site, kind, lagSec, names }: { site: ClusterSite; kind: "live" | "replica"; lagSec?: number | null; names: Map<string, string> }) {
  // Dragging goes here once planned moves exist: a live mark becomes `draggable` carrying the
  // site id, and a NodeCard drop target confirms and starts the move. Not built: moves are not.
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
    <span title={text} data-site-mark={kind} className={cx("inline-flex max-w-48 items-center gap-1 rounded px-1.5 py-0.5 text-xs", style)}>
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
