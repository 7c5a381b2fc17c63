"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Badge } from "@/app/_components/badge";
import { Button } from "@/app/_components/button";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { DataTable, useTableState, type Column } from "@/app/_components/data-table";
import { Dialog } from "@/app/_components/dialog";
import { EmptyState } from "@/app/_components/empty-state";
import { Checkbox, Field, Input, Select } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { PageHeader } from "@/app/_components/page-header";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { planLimitBounds, planLimitKeys, type PlanLimitKey, type PlanLimits } from "@/server/domain/plan-limits";
import { recoveryPoint } from "@/server/domain/recovery-point";

type Plan = PlanLimits & {
  id: string;
  name: string;
  resellerId: string;
  reseller: { name: string };
  archivedAt: Date | null;
  _count: { accounts: number };
};

// Label and unit for each limit, in form order; bounds are the server's (server/domain/plan-limits.ts).
const limitLabels: Record<PlanLimitKey, { label: string; unit?: string }> = {
  maxSites: { label: "Sites" },
  diskMb: { label: "Disk", unit: "MB" },
  maxDatabases: { label: "Databases" },
  maxMailboxes: { label: "Mailboxes" },
  trafficGbMonth: { label: "Traffic per month", unit: "GB" },
  copies: { label: "Copies of each site" },
  snapshotCadenceSec: { label: "Snapshot every", unit: "seconds" },
  keepAllMinutes: { label: "Keep every snapshot for", unit: "minutes" },
  keepHourlyDays: { label: "Keep hourly snapshots for", unit: "days" },
  keepDailyDays: { label: "Keep daily snapshots for", unit: "days" },
  cpuPercent: { label: "CPU per server", unit: "% of a core" },
  memoryMb: { label: "Memory per server", unit: "MB" },
  pids: { label: "Processes per server" },
  ioWeight: { label: "Disk IO weight", unit: "100 = even share" },
};
const limitFields = planLimitKeys.map((key) => ({ key, ...limitLabels[key], ...planLimitBounds[key] }));

const defaults: PlanLimits = {
  maxSites: 5,
  diskMb: 10_000,
  maxDatabases: 5,
  maxMailboxes: 25,
  trafficGbMonth: 100,
  copies: 2,
  snapshotCadenceSec: 60,
  keepAllMinutes: 60,
  keepHourlyDays: 7,
  keepDailyDays: 30,
  cpuPercent: 100,
  memoryMb: 512,
  pids: 128,
  ioWeight: 100,
};

const number = new Intl.NumberFormat();

export function PlansView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const table = useTableState<"name" | "createdAt">({ sort: "name" });
  const [includeArchived, setIncludeArchived] = useState(false);
  const [editing, setEditing] = useState<Plan | "new" | null>(null);
  const [archiving, setArchiving] = useState<Plan | null>(null);
  const q = useQuery(trpc.plan.list.queryOptions({ ...table.page, sort: table.sort, includeArchived }));
  const subs = useQuery(trpc.reseller.list.queryOptions({ limit: 100 }));
  const showReseller = (subs.data?.items.length ?? 0) > 0;

  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.plan.list.queryKey() });
  const archive = useMutation(
    trpc.plan.archive.mutationOptions({
      onSuccess: async (plan) => {
        await refresh();
        toast({ title: `${plan.name} archived`, tone: "success" });
      },
    }),
  );

  const columns: Column<Plan, "name" | "createdAt">[] = [
    {
      key: "name",
      header: "Plan",
      sortKey: "name",
      cell: (p) => (
        <span className="flex items-center gap-2 font-medium text-zinc-900 dark:text-zinc-100">
          {p.name}
          {p.archivedAt && <Badge>Archived</Badge>}
        </span>
      ),
    },
    ...(showReseller ? [{ key: "reseller", header: "Reseller", cell: (p: Plan) => p.reseller.name, hideOnMobile: true }] : []),
    { key: "sites", header: "Sites", cell: (p) => number.format(p.maxSites) },
    { key: "disk", header: "Disk", cell: (p) => `${number.format(p.diskMb / 1000)} GB`, hideOnMobile: true },
    { key: "copies", header: "Copies", cell: (p) => p.copies, hideOnMobile: true },
    {
      key: "recovery",
      header: "If a server fails",
      cell: (p) => <span title={`${recoveryPoint(p).failover} ${recoveryPoint(p).dataLoss}`}>{recoveryPoint(p).short}</span>,
      hideOnMobile: true,
    },
    { key: "accounts", header: "Accounts", cell: (p) => number.format(p._count.accounts) },
    {
      key: "actions",
      header: <span className="sr-only">Actions</span>,
      className: "text-right",
      cell: (p) => (
        <span className="flex justify-end gap-2">
          <Button size="sm" variant="secondary" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
            Edit
          </Button>
          {!p.archivedAt && (
            <Button size="sm" variant="ghost" onClick={() => setArchiving(p)} aria-label={`Archive ${p.name}`}>
              Archive
            </Button>
          )}
        </span>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Plans"
        description="What each hosting account may use, and how its sites are copied and snapshotted."
        actions={<Button onClick={() => setEditing("new")}>New plan</Button>}
      />
      <DataTable
        label="Plans"
        columns={columns}
        table={table}
        data={q.data}
        isLoading={q.isFetching}
        error={q.error}
        searchPlaceholder="Search plans"
        toolbar={
          <Checkbox
            label="Show archived"
            checked={includeArchived}
            onChange={(e) => {
              setIncludeArchived(e.target.checked);
              // Re-applying the same search resets the pager to the first page.
              table.setSearch(table.search);
            }}
          />
        }
        empty={
          <EmptyState
            title="No plans yet"
            description="A customer needs a plan before you can create them."
            action={
              <Button size="sm" onClick={() => setEditing("new")}>
                New plan
              </Button>
            }
          />
        }
      />
      {editing && (
        <PlanDialog
          plan={editing === "new" ? null : editing}
          resellers={subs.data?.items ?? []}
          onClose={() => setEditing(null)}
          onSaved={async (name) => {
            await refresh();
            setEditing(null);
            toast({ title: `${name} saved`, tone: "success" });
          }}
        />
      )}
      <ConfirmDialog
        open={archiving !== null}
        onClose={() => setArchiving(null)}
        title={`Archive ${archiving?.name ?? "plan"}?`}
        description="New customers can no longer be put on it. Accounts already on it keep it, with the same limits."
        confirmLabel="Archive"
        destructive={false}
        onConfirm={() => archiving && archive.mutateAsync({ id: archiving.id })}
      />
    </>
  );
}

function PlanDialog({
  plan,
  resellers,
  onClose,
  onSaved,
}: {
  plan: Plan | null;
  resellers: Array<{ id: string; name: string }>;
  onClose: () => void;
  onSaved: (name: string) => Promise<void>;
}) {
  const trpc = useTRPC();
  // What the admin allows now (and copies by the nodes there are): the hints, and a new plan's
  // defaults kept inside them. The server checks the same bounds.
  const bounds = useQuery(trpc.plan.bounds.queryOptions());
  const allowed = (key: PlanLimitKey) => bounds.data?.fields[key] ?? { ...planLimitBounds[key], why: null };
  const [name, setName] = useState(plan?.name ?? "");
  const [resellerId, setResellerId] = useState("");
  // Kept as typed text so an empty or half-typed number reaches the server and gets its message.
  const [limits, setLimits] = useState<Record<keyof PlanLimits, string>>(
    () => Object.fromEntries(limitFields.map((f) => [f.key, String((plan ?? defaults)[f.key])])) as Record<keyof PlanLimits, string>,
  );
  const [clamped, setClamped] = useState(plan !== null);
  useEffect(() => {
    if (clamped || !bounds.data) return;
    const fields = bounds.data.fields;
    setLimits(
      Object.fromEntries(
        limitFields.map((f) => [f.key, String(Math.min(Math.max(defaults[f.key], fields[f.key].min), fields[f.key].max))]),
      ) as Record<keyof PlanLimits, string>,
    );
    setClamped(true);
  }, [bounds.data, clamped]);
  const create = useMutation(trpc.plan.create.mutationOptions({ onSuccess: (p) => onSaved(p.name) }));
  const update = useMutation(trpc.plan.update.mutationOptions({ onSuccess: (p) => onSaved(p.name) }));
  const active = plan ? update : create;
  const { fieldErrors, formError } = useFieldErrors(active.error);

  function submit(e: FormEvent) {
    e.preventDefault();
    const numbers = Object.fromEntries(limitFields.map((f) => [f.key, limits[f.key].trim() === "" ? NaN : Number(limits[f.key])])) as PlanLimits;
    if (plan) update.mutate({ id: plan.id, name, ...numbers });
    else create.mutate({ name, resellerId: resellerId || undefined, ...numbers });
  }

  return (
    <Dialog open onClose={onClose} busy={active.isPending} size="lg" title={plan ? `Edit ${plan.name}` : "New plan"}>
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        <FormError message={formError} />
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Name" required error={fieldErrors.name}>
            <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={80} />
          </Field>
          {!plan && resellers.length > 0 && (
            <Field label="Reseller" error={fieldErrors.resellerId}>
              <Select value={resellerId} onChange={(e) => setResellerId(e.target.value)}>
                <option value="">Your own account</option>
                {resellers.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </Select>
            </Field>
          )}
          {limitFields.map((f) => {
            const range = allowed(f.key);
            return (
              <Field
                key={f.key}
                label={f.unit ? `${f.label} (${f.unit})` : f.label}
                hint={`${number.format(range.min)} to ${number.format(range.max)}${range.why ? ` (${range.why})` : ""}`}
                required
                error={fieldErrors[f.key]}
              >
                <Input
                  type="number"
                  inputMode="numeric"
                  min={range.min}
                  max={range.max}
                  step={1}
                  value={limits[f.key]}
                  onChange={(e) => setLimits((l) => ({ ...l, [f.key]: e.target.value }))}
                />
              </Field>
            );
          })}
        </div>
        <RecoveryPreview copies={limits.copies} snapshotCadenceSec={limits.snapshotCadenceSec} />
        {plan && plan._count.accounts > 0 && (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            {plan._count.accounts} account{plan._count.accounts === 1 ? "" : "s"} on this plan pick up the new limits.
          </p>
        )}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose} disabled={active.isPending}>
            Cancel
          </Button>
          {/* A new plan's defaults are fitted to the bounds first, so they are never sent unfitted. */}
          <Button type="submit" loading={active.isPending} disabled={!clamped}>
            {plan ? "Save" : "Create plan"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** What the plan as typed promises customers if a server fails (their dashboard says the same). */
function RecoveryPreview({ copies, snapshotCadenceSec }: { copies: string; snapshotCadenceSec: string }) {
  const plan = { copies: Number(copies), snapshotCadenceSec: Number(snapshotCadenceSec) };
  if (!Number.isInteger(plan.copies) || !Number.isInteger(plan.snapshotCadenceSec) || plan.copies < 1 || plan.snapshotCadenceSec < 1) return null;
  const recovery = recoveryPoint(plan);
  return (
    <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="recovery-preview">
      <span className="font-medium text-zinc-900 dark:text-zinc-100">Customers read: </span>
      {recovery.failover} {recovery.dataLoss}
    </p>
  );
}
