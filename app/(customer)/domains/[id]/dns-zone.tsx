"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Badge } from "@/app/_components/badge";
import { Button } from "@/app/_components/button";
import { Card, CardHeader } from "@/app/_components/card";
import { Dialog } from "@/app/_components/dialog";
import { Checkbox, Field, Input, Select, Textarea } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { Spinner } from "@/app/_components/spinner";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";

// The zone editor: the platform's records (marked, read-only) and the customer's, an add/edit
// form whose errors sit beside their fields, a BIND import with an error per line, and export.

const types = ["A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS"] as const;
type RecordType = (typeof types)[number];

type FormState = { name: string; type: RecordType; ttl: string; value: string; priority: string; weight: string; port: string; tag: string; flags: string };
const emptyForm: FormState = { name: "", type: "A", ttl: "3600", value: "", priority: "10", weight: "0", port: "", tag: "issue", flags: "0" };

const valueLabel: Record<RecordType, { label: string; hint: string }> = {
  A: { label: "IPv4 address", hint: "Such as 192.0.2.10." },
  AAAA: { label: "IPv6 address", hint: "Such as 2001:db8::10." },
  CNAME: { label: "Alias of", hint: "A name, such as shops.example.net. A single word means a name in this domain." },
  MX: { label: "Mail server", hint: "A name, not an address, such as mail.example.net." },
  TXT: { label: "Text", hint: "The whole value (SPF, DKIM…): long values are split for you." },
  SRV: { label: "Target", hint: "The host offering the service, or . if none." },
  CAA: { label: "Value", hint: "issue/issuewild: a CA's domain such as letsencrypt.org, or ; for none. iodef: mailto: or https:// URL." },
  NS: { label: "Nameserver", hint: "Delegates the name above to another nameserver." },
};

const num = (s: string) => (s.trim() === "" ? null : Number(s));

function RecordForm({ domainId, editing, zoneName, onDone }: { domainId: string; editing: { id: string; form: FormState } | null; zoneName: string; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [form, setForm] = useState<FormState>(editing?.form ?? emptyForm);
  const done = async (title: string) => {
    await queryClient.invalidateQueries(trpc.dns.getZone.pathFilter());
    await queryClient.invalidateQueries(trpc.domain.get.pathFilter());
    toast({ title, tone: "success" });
    onDone();
  };
  const create = useMutation(trpc.dns.createRecord.mutationOptions({ onSuccess: () => done("Record added") }));
  const update = useMutation(trpc.dns.updateRecord.mutationOptions({ onSuccess: () => done("Record saved") }));
  const mutation = editing ? update : create;
  const { fieldErrors, formError } = useFieldErrors(mutation.error);
  const set = (key: keyof FormState) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));

  function submit(e: FormEvent) {
    e.preventDefault();
    const fields = {
      name: form.name,
      type: form.type,
      ttl: num(form.ttl),
      value: form.value,
      priority: form.type === "MX" || form.type === "SRV" ? num(form.priority) : null,
      weight: form.type === "SRV" ? num(form.weight) : null,
      port: form.type === "SRV" ? num(form.port) : null,
      tag: form.type === "CAA" ? form.tag : null,
      flags: form.type === "CAA" ? num(form.flags) : null,
    };
    if (editing) update.mutate({ id: editing.id, ...fields });
    else create.mutate({ domainId, ...fields });
  }

  const t = form.type;
  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label={editing ? "Edit record" : "Add record"}>
      <div className="grid gap-4 sm:grid-cols-[minmax(0,1fr)_8rem_8rem]">
        <Field label="Name" error={fieldErrors.name} hint={`@ for ${zoneName} itself; www for www.${zoneName}.`}>
          <Input value={form.name} onChange={set("name")} placeholder="@" spellCheck={false} className="font-mono" />
        </Field>
        <Field label="Type" error={fieldErrors.type}>
          <Select value={form.type} onChange={set("type")}>
            {types.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="TTL (seconds)" error={fieldErrors.ttl}>
          <Input value={form.ttl} onChange={set("ttl")} inputMode="numeric" />
        </Field>
      </div>
      {(t === "MX" || t === "SRV" || t === "CAA") && (
        <div className="grid gap-4 sm:grid-cols-3">
          {(t === "MX" || t === "SRV") && (
            <Field label="Priority" error={fieldErrors.priority}>
              <Input value={form.priority} onChange={set("priority")} inputMode="numeric" />
            </Field>
          )}
          {t === "SRV" && (
            <>
              <Field label="Weight" error={fieldErrors.weight}>
                <Input value={form.weight} onChange={set("weight")} inputMode="numeric" />
              </Field>
              <Field label="Port" error={fieldErrors.port}>
                <Input value={form.port} onChange={set("port")} inputMode="numeric" />
              </Field>
            </>
          )}
          {t === "CAA" && (
            <>
              <Field label="Tag" error={fieldErrors.tag}>
                <Select value={form.tag} onChange={set("tag")}>
                  <option value="issue">issue</option>
                  <option value="issuewild">issuewild</option>
                  <option value="iodef">iodef</option>
                </Select>
              </Field>
              <Field label="Flags" error={fieldErrors.flags} hint="0, or 128 for critical.">
                <Input value={form.flags} onChange={set("flags")} inputMode="numeric" />
              </Field>
            </>
          )}
        </div>
      )}
      <Field label={valueLabel[t].label} error={fieldErrors.value} hint={valueLabel[t].hint}>
        {t === "TXT" ? (
          <Textarea value={form.value} onChange={set("value")} rows={3} spellCheck={false} className="font-mono" />
        ) : (
          <Input value={form.value} onChange={set("value")} spellCheck={false} className="font-mono" />
        )}
      </Field>
      <FormError message={formError} />
      <div className="flex justify-end gap-2">
        <Button type="button" variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" loading={mutation.isPending}>
          {editing ? "Save record" : "Add record"}
        </Button>
      </div>
    </form>
  );
}

function ImportDialog({ domainId, open, onClose }: { domainId: string; open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [text, setText] = useState("");
  const [replace, setReplace] = useState(false);
  const run = useMutation(
    trpc.dns.importZone.mutationOptions({
      onSuccess: async (res) => {
        await queryClient.invalidateQueries(trpc.dns.getZone.pathFilter());
        toast({ title: `Imported ${res.created} record${res.created === 1 ? "" : "s"}${res.skipped.length ? `, skipped ${res.skipped.length}` : ""}`, tone: "success" });
        setText("");
        onClose();
      },
    }),
  );
  const { fieldErrors, formError } = useFieldErrors(run.error);
  const lineErrors = Object.entries(fieldErrors)
    .filter(([k]) => k.startsWith("line."))
    .map(([k, m]) => ({ line: Number(k.slice(5)), message: m }))
    .sort((a, b) => a.line - b.line);
  return (
    <Dialog
      open={open}
      onClose={onClose}
      busy={run.isPending}
      size="lg"
      title="Import a zone file"
      description="Paste a BIND zone file. Nothing is saved unless every line is valid; the SOA and the domain's own NS lines are the platform's and are skipped."
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={run.isPending} onClick={() => run.mutate({ domainId, text, replace })}>
            Import
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-3">
        <Field label="Zone file" error={fieldErrors.text}>
          <Textarea value={text} onChange={(e) => setText(e.target.value)} rows={12} spellCheck={false} className="font-mono text-xs" />
        </Field>
        <Checkbox checked={replace} onChange={(e) => setReplace(e.target.checked)} label="Replace my records with the file's (otherwise they are added)" />
        {lineErrors.length > 0 && (
          <ul className="flex flex-col gap-1 rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200" aria-label="Errors by line">
            {lineErrors.map((e) => (
              <li key={e.line}>
                <span className="font-mono font-semibold">Line {e.line}:</span> {e.message}
              </li>
            ))}
          </ul>
        )}
        <FormError message={lineErrors.length > 0 ? null : formError} />
      </div>
    </Dialog>
  );
}

export function DnsZone({ domainId }: { domainId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const zone = useQuery(trpc.dns.getZone.queryOptions({ domainId }));
  const [editing, setEditing] = useState<{ id: string; form: FormState } | "new" | null>(null);
  const [importing, setImporting] = useState(false);
  const remove = useMutation(
    trpc.dns.deleteRecord.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.dns.getZone.pathFilter());
        toast({ title: "Record deleted", tone: "success" });
      },
    }),
  );

  async function download() {
    const file = await queryClient.fetchQuery(trpc.dns.exportZone.queryOptions({ domainId }, { staleTime: 0 }));
    const url = URL.createObjectURL(new Blob([file.text], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = file.filename;
    a.click();
    URL.revokeObjectURL(url);
  }

  if (zone.isPending) {
    return (
      <Card className="lg:col-span-2">
        <CardHeader title="DNS records" />
        <p className="flex items-center gap-2 px-5 py-4 text-sm text-zinc-500">
          <Spinner /> Loading…
        </p>
      </Card>
    );
  }
  if (zone.error) {
    return (
      <Card className="lg:col-span-2">
        <CardHeader title="DNS records" />
        <FormError message={zone.error.message} className="m-5" />
      </Card>
    );
  }
  const { records, domain } = zone.data;
  return (
    <Card className="lg:col-span-2" aria-label="DNS records">
      <CardHeader
        title="DNS records"
        description="What the cluster's nameservers answer for this domain. Records marked Platform are managed for you."
        actions={
          <div className="flex gap-2">
            <Button size="sm" variant="secondary" onClick={() => void download()}>
              Export
            </Button>
            <Button size="sm" variant="secondary" onClick={() => setImporting(true)}>
              Import
            </Button>
            <Button size="sm" onClick={() => setEditing("new")}>
              Add record
            </Button>
          </div>
        }
      />
      {editing !== null && (
        <div className="border-b border-zinc-100 px-5 py-4 dark:border-zinc-800">
          <RecordForm
            key={editing === "new" ? "new" : editing.id}
            domainId={domainId}
            zoneName={domain.displayName}
            editing={editing === "new" ? null : editing}
            onDone={() => setEditing(null)}
          />
        </div>
      )}
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">DNS records</caption>
          <thead className="bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:bg-zinc-900/80 dark:text-zinc-400">
            <tr>
              <th scope="col" className="px-5 py-2.5 font-medium">Name</th>
              <th scope="col" className="px-5 py-2.5 font-medium">Type</th>
              <th scope="col" className="px-5 py-2.5 font-medium">Data</th>
              <th scope="col" className="px-5 py-2.5 font-medium">TTL</th>
              <th scope="col" className="px-5 py-2.5 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {records.map((r, i) => (
              <tr key={r.id ?? `platform-${i}`} data-managed={r.managed ? "true" : undefined}>
                <td className="px-5 py-2.5 font-mono">{r.name}</td>
                <td className="px-5 py-2.5">{r.type}</td>
                <td className="max-w-md px-5 py-2.5 font-mono break-all">{r.data}</td>
                <td className="px-5 py-2.5">{r.ttl}</td>
                <td className="px-5 py-2.5 text-right whitespace-nowrap">
                  {r.managed || r.id === null ? (
                    <span title="Managed by the platform: not editable">
                      <Badge tone="neutral">Platform</Badge>
                    </span>
                  ) : (
                    <span className="flex justify-end gap-2">
                      <Button
                        size="sm"
                        variant="secondary"
                        onClick={() => {
                          const f = r.input;
                          setEditing({
                            id: r.id!,
                            form: {
                              name: f.name,
                              type: f.type,
                              ttl: String(f.ttl ?? 3600),
                              value: f.value,
                              priority: String(f.priority ?? 10),
                              weight: String(f.weight ?? 0),
                              port: String(f.port ?? ""),
                              tag: f.tag ?? "issue",
                              flags: String(f.flags ?? 0),
                            },
                          });
                        }}
                      >
                        Edit
                      </Button>
                      <Button size="sm" variant="danger" loading={remove.isPending && remove.variables.id === r.id} onClick={() => remove.mutate({ id: r.id! })}>
                        Delete
                      </Button>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ImportDialog domainId={domainId} open={importing} onClose={() => setImporting(false)} />
    </Card>
  );
}
