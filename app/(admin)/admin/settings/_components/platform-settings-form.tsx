"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "@/app/_components/button";
import { Card, CardBody, CardHeader } from "@/app/_components/card";
import { Field, Input, Textarea } from "@/app/_components/field";
import { linesToList, listFieldError } from "@/app/_components/resellers/hostnames";
import { FormError } from "@/app/_components/form-error";
import { Spinner } from "@/app/_components/spinner";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { platformBoundKeys, platformBoundRange, type PlatformBoundKey, type PlatformBounds } from "@/server/domain/platform-bounds";

// Label and unit of each bound, in form order; the ranges are the plan fields' own
// (server/domain/plan-limits.ts), which the server checks too.
const boundLabels: Record<PlatformBoundKey, { label: string; unit: string }> = {
  maxCpuPercent: { label: "Most CPU per server", unit: "% of a core" },
  maxMemoryMb: { label: "Most memory per server", unit: "MB" },
  maxPids: { label: "Most processes per server", unit: "at once" },
  maxDiskMb: { label: "Most disk", unit: "MB" },
  minSnapshotCadenceSec: { label: "Shortest time between snapshots", unit: "seconds" },
  maxKeepAllMinutes: { label: "Keep every snapshot for at most", unit: "minutes" },
  maxKeepHourlyDays: { label: "Keep hourly snapshots for at most", unit: "days" },
  maxKeepDailyDays: { label: "Keep daily snapshots for at most", unit: "days" },
};

const number = new Intl.NumberFormat();

type EgressRow = { address: string; port: string };

export function PlatformSettingsForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const q = useQuery(trpc.settings.get.queryOptions());
  // Kept as typed text so an empty or half-typed number reaches the server and gets its message.
  const [bounds, setBounds] = useState<Record<PlatformBoundKey, string> | null>(null);
  const [egress, setEgress] = useState<EgressRow[]>([]);
  const [nameservers, setNameservers] = useState("");
  const save = useMutation(
    trpc.settings.update.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.settings.get.queryFilter());
        toast({ title: "Settings saved", tone: "success" });
      },
    }),
  );
  const { fieldErrors, formError } = useFieldErrors(save.error);

  useEffect(() => {
    if (!q.data) return;
    setBounds(Object.fromEntries(platformBoundKeys.map((k) => [k, String(q.data.bounds[k])])) as Record<PlatformBoundKey, string>);
    setEgress(q.data.egressAllow.map((a) => ({ address: a.address, port: a.port === null ? "" : String(a.port) })));
    setNameservers(q.data.defaultNameservers.join("\n"));
  }, [q.data]);

  if (q.error) return <FormError message={q.error.message} />;
  if (!q.data || !bounds) {
    return (
      <p className="flex items-center gap-2 text-sm text-zinc-500">
        <Spinner /> Loading settings…
      </p>
    );
  }
  const data = q.data;
  const num = (v: string) => (v.trim() === "" ? Number.NaN : Number(v));

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!bounds) return;
    save.mutate({
      bounds: Object.fromEntries(platformBoundKeys.map((k) => [k, num(bounds[k])])) as PlatformBounds,
      egressAllow: egress.map((r) => ({ address: r.address.trim(), port: r.port.trim() === "" ? null : num(r.port) })),
      defaultNameservers: linesToList(nameservers),
    });
  }

  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-6">
      <FormError message={formError} />
      <Card>
        <CardHeader
          title="Bounds on plans"
          description={`Resellers cannot give a plan more than this. Copies of a site are bounded by the nodes that can hold one (${data.copyNodes} now). Lowering a bound leaves existing plans as they are until their value is next changed.`}
        />
        <CardBody className="grid gap-4 sm:grid-cols-2">
          {platformBoundKeys.map((key) => {
            const { min, max } = platformBoundRange(key);
            const over = data.plansOverBounds[key] ?? 0;
            return (
              <Field
                key={key}
                label={`${boundLabels[key].label} (${boundLabels[key].unit})`}
                hint={`${number.format(min)} to ${number.format(max)}${over > 0 ? `. ${over} plan${over === 1 ? " is" : "s are"} past this and keep${over === 1 ? "s" : ""} its value until edited.` : ""}`}
                required
                error={fieldErrors[`bounds.${key}`]}
              >
                <Input
                  type="number"
                  inputMode="numeric"
                  min={min}
                  max={max}
                  step={1}
                  value={bounds[key]}
                  onChange={(e) => setBounds((b) => (b ? { ...b, [key]: e.target.value } : b))}
                />
              </Field>
            );
          })}
        </CardBody>
      </Card>
      <Card>
        <CardHeader
          title="Egress allow list"
          description="Customers' code can reach the internet, its own server's database and DNS. Other servers of the cluster and private networks are refused, except the destinations listed here (a shared API host on the private network, say). Changes reach every node."
        />
        <CardBody className="flex flex-col gap-3">
          {egress.length === 0 && <p className="text-sm text-zinc-500 dark:text-zinc-400">No extra destinations.</p>}
          {egress.map((row, i) => (
            <div key={i} className="grid items-start gap-3 sm:grid-cols-[1fr_10rem_auto]">
              <Field label="Address or block" hint="IPv4, such as 10.0.5.20 or 10.0.5.0/24" error={fieldErrors[`egressAllow.${i}.address`]}>
                <Input value={row.address} onChange={(e) => setEgress((rows) => rows.map((r, j) => (j === i ? { ...r, address: e.target.value } : r)))} />
              </Field>
              <Field label="Port" hint="Empty: every port" error={fieldErrors[`egressAllow.${i}.port`]}>
                <Input
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={65535}
                  value={row.port}
                  onChange={(e) => setEgress((rows) => rows.map((r, j) => (j === i ? { ...r, port: e.target.value } : r)))}
                />
              </Field>
              <Button variant="ghost" className="sm:mt-7" aria-label={`Remove destination ${i + 1}`} onClick={() => setEgress((rows) => rows.filter((_, j) => j !== i))}>
                Remove
              </Button>
            </div>
          ))}
          {fieldErrors.egressAllow && <FormError message={fieldErrors.egressAllow} />}
          <div>
            <Button variant="secondary" size="sm" onClick={() => setEgress((rows) => [...rows, { address: "", port: "" }])}>
              Add destination
            </Button>
          </div>
        </CardBody>
      </Card>
      <Card>
        <CardHeader
          title="Default nameservers"
          description="Brand-neutral names (no reseller's brand in them) that the domains of resellers without their own nameservers are delegated to."
        />
        <CardBody>
          <Field label="Nameservers" error={listFieldError(fieldErrors, "defaultNameservers")} hint="2 to 6, one per line, or none.">
            <Textarea value={nameservers} onChange={(e) => setNameservers(e.target.value)} rows={3} spellCheck={false} className="font-mono" />
          </Field>
        </CardBody>
      </Card>
      <div className="flex justify-end">
        <Button type="submit" loading={save.isPending}>
          Save settings
        </Button>
      </div>
    </form>
  );
}
