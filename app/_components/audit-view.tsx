"use client";
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "@/app/_components/button";
import { DataTable, useTableState, type Column } from "@/app/_components/data-table";
import { EmptyState } from "@/app/_components/empty-state";
import { Checkbox, Field, Input } from "@/app/_components/field";
import { PageHeader } from "@/app/_components/page-header";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";

type Event = {
  id: string;
  createdAt: Date;
  action: string;
  targetType: string;
  targetId: string;
  actorEmail: string | null;
  impersonatorEmail: string | null;
  ip: string | null;
  before?: unknown;
  after?: unknown;
  reseller: { id: string; name: string };
};

type Filters = {
  action: string;
  actionPrefix: boolean;
  actorEmail: string;
  targetType: string;
  from: string;
  to: string;
  impersonatedOnly: boolean;
};

const empty: Filters = { action: "", actionPrefix: false, actorEmail: "", targetType: "", from: "", to: "", impersonatedOnly: false };
const targetTypes = ["Customer", "HostingAccount", "Plan", "User", "Reseller", "Brand", "Domain", "Site", "Database", "Node"];
const time = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** A date box's "YYYY-MM-DD" as local midnight; `endOfDay` makes "to" include that whole day. */
function localDate(value: string, endOfDay: boolean): Date | undefined {
  if (!value) return undefined;
  const [y, m, d] = value.split("-").map(Number);
  if (!y || !m || !d) return undefined;
  return endOfDay ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d);
}

function show(value: unknown): string {
  if (value === undefined || value === null) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Before/after summaries as "key: old → new" lines, folded away until asked for. */
function Changes({ before, after }: { before: unknown; after: unknown }) {
  const b = before && typeof before === "object" ? (before as Record<string, unknown>) : {};
  const a = after && typeof after === "object" ? (after as Record<string, unknown>) : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  if (keys.length === 0) return <span className="text-zinc-400">—</span>;
  return (
    <details className="group max-w-md">
      <summary className="cursor-pointer text-sm text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100">
        {keys.length} field{keys.length === 1 ? "" : "s"}
      </summary>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
        {keys.map((k) => (
          <div key={k} className="contents">
            <dt className="font-mono text-zinc-500">{k}</dt>
            <dd className="break-all font-mono text-zinc-800 dark:text-zinc-200">
              {k in b && <span className="text-red-700 line-through dark:text-red-400">{show(b[k])}</span>}
              {k in b && k in a && " → "}
              {k in a && <span className="text-emerald-700 dark:text-emerald-400">{show(a[k])}</span>}
            </dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

export function AuditView({ audience }: { audience: "admin" | "reseller" }) {
  const trpc = useTRPC();
  const table = useTableState({ sort: "createdAt", direction: "desc", limit: 50 });
  const [draft, setDraft] = useState<Filters>(empty);
  const [applied, setApplied] = useState<Filters>(empty);
  const q = useQuery(
    trpc.audit.list.queryOptions({
      cursor: table.page.cursor,
      limit: 50,
      action: applied.action.trim() || undefined,
      actionPrefix: applied.actionPrefix,
      actorEmail: applied.actorEmail.trim() || undefined,
      targetType: applied.targetType.trim() || undefined,
      from: localDate(applied.from, false),
      to: localDate(applied.to, true),
      impersonatedOnly: applied.impersonatedOnly,
    }),
  );
  const { fieldErrors } = useFieldErrors(q.error);

  function apply(e: FormEvent) {
    e.preventDefault();
    setApplied(draft);
    table.reset();
  }
  function clear() {
    setDraft(empty);
    setApplied(empty);
    table.reset();
  }
  const set = (key: keyof Filters) => (e: { target: { value: string } }) => setDraft((f) => ({ ...f, [key]: e.target.value }));

  const columns: Column<Event>[] = [
    { key: "time", header: "Time", cell: (e) => <time dateTime={e.createdAt.toISOString()}>{time.format(e.createdAt)}</time> },
    {
      key: "actor",
      header: "Actor",
      cell: (e) =>
        e.impersonatorEmail ? (
          <span className="flex flex-col">
            <span>{e.impersonatorEmail}</span>
            <span className="text-xs text-amber-700 dark:text-amber-400">as {e.actorEmail ?? "unknown"}</span>
          </span>
        ) : (
          (e.actorEmail ?? <span className="text-zinc-400">system</span>)
        ),
    },
    { key: "action", header: "Action", cell: (e) => <span className="font-mono text-xs">{e.action}</span> },
    {
      key: "target",
      header: "Target",
      hideOnMobile: true,
      cell: (e) => (
        <span className="flex flex-col">
          <span>{e.targetType}</span>
          <span className="font-mono text-xs text-zinc-500">{e.targetId}</span>
        </span>
      ),
    },
    ...(audience === "admin" ? [{ key: "reseller", header: "Reseller", hideOnMobile: true, cell: (e: Event) => e.reseller.name }] : []),
    { key: "ip", header: "IP", hideOnMobile: true, cell: (e) => <span className="font-mono text-xs">{e.ip ?? "—"}</span> },
    { key: "changes", header: "Changes", cell: (e) => <Changes before={e.before} after={e.after} /> },
  ];

  return (
    <>
      <PageHeader
        title="Audit log"
        description={audience === "admin" ? "Every change on the platform, newest first." : "Every change in your account and your sub-resellers', newest first."}
      />
      <form onSubmit={apply} className="mb-4 grid gap-4 rounded-xl border border-zinc-200 bg-white p-4 shadow-sm sm:grid-cols-2 lg:grid-cols-4 dark:border-zinc-800 dark:bg-zinc-900">
        <Field label="Action" hint="e.g. customer.suspend" error={fieldErrors.action}>
          <Input value={draft.action} onChange={set("action")} maxLength={100} />
        </Field>
        <Field label="Actor email" error={fieldErrors.actorEmail}>
          <Input value={draft.actorEmail} onChange={set("actorEmail")} maxLength={254} />
        </Field>
        <Field label="Target type" error={fieldErrors.targetType}>
          <Input value={draft.targetType} onChange={set("targetType")} maxLength={50} list="audit-target-types" />
        </Field>
        <datalist id="audit-target-types">
          {targetTypes.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <div className="grid grid-cols-2 gap-2">
          <Field label="From" error={fieldErrors.from}>
            <Input type="date" value={draft.from} onChange={set("from")} />
          </Field>
          <Field label="To" error={fieldErrors.to}>
            <Input type="date" value={draft.to} onChange={set("to")} />
          </Field>
        </div>
        <div className="flex flex-wrap items-center gap-4 sm:col-span-2 lg:col-span-4">
          <Checkbox
            label="Match action as a prefix"
            hint={'"customer." finds every customer action'}
            checked={draft.actionPrefix}
            onChange={(e) => setDraft((f) => ({ ...f, actionPrefix: e.target.checked }))}
          />
          <Checkbox
            label="Impersonated only"
            hint="Changes made while logged in as someone else"
            checked={draft.impersonatedOnly}
            onChange={(e) => setDraft((f) => ({ ...f, impersonatedOnly: e.target.checked }))}
          />
          <div className="ml-auto flex gap-2">
            <Button variant="secondary" onClick={clear}>
              Clear
            </Button>
            <Button type="submit">Apply filters</Button>
          </div>
        </div>
      </form>
      <DataTable
        label="Audit events"
        columns={columns}
        table={table}
        data={q.data}
        isLoading={q.isFetching}
        error={q.error}
        empty={<EmptyState title="No audit events" description="Nothing matches these filters." />}
      />
    </>
  );
}
