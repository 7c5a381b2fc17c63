"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { Button } from "@/app/_components/button";
import { Card, CardBody, CardHeader } from "@/app/_components/card";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { Field, Input, Select, Textarea } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { PageHeader } from "@/app/_components/page-header";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";

// API tokens for the signed-in person, the same page for admins, resellers and customers: the
// server offers only the scopes this person's role can use, shows a new token's secret once, and
// revokes at once.

type Level = "none" | "read" | "write";
const expiryChoices = [
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
  { value: "never", label: "Never" },
];

function families(grantable: string[]): { family: string; write: boolean }[] {
  const out = new Map<string, boolean>();
  for (const s of grantable) {
    const [family = "", level] = s.split(":");
    out.set(family, (out.get(family) ?? false) || level === "write");
  }
  return [...out].map(([family, write]) => ({ family, write }));
}

function tokenStatus(t: { revokedAt: Date | null; expiresAt: Date | null }): { status: string; label: string } {
  if (t.revokedAt) return { status: "FAILED", label: "Revoked" };
  if (t.expiresAt && t.expiresAt.getTime() <= Date.now()) return { status: "SUSPENDED", label: "Expired" };
  return { status: "ACTIVE", label: "Active" };
}

export function ApiTokensView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const q = useQuery(trpc.apiToken.list.queryOptions({ limit: 100 }));
  const [name, setName] = useState("");
  const [levels, setLevels] = useState<Record<string, Level>>({});
  const [cidrs, setCidrs] = useState("");
  const [expiry, setExpiry] = useState("90");
  const [shown, setShown] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const create = useMutation(
    trpc.apiToken.create.mutationOptions({
      onSuccess: async (data) => {
        setShown({ name: data.apiToken.name, token: data.token });
        setName("");
        setLevels({});
        setCidrs("");
        await queryClient.invalidateQueries(trpc.apiToken.list.pathFilter());
      },
    }),
  );
  const revoke = useMutation(trpc.apiToken.revoke.mutationOptions());
  const { fieldErrors, formError: anyError } = useFieldErrors(create.error);
  const formError = Object.keys(fieldErrors).length > 0 ? null : anyError;
  const offered = families(q.data?.grantableScopes ?? []);

  function submit(e: FormEvent) {
    e.preventDefault();
    const scopes = Object.entries(levels)
      .filter(([, l]) => l !== "none")
      .map(([f, l]) => `${f}:${l}`);
    const allowedCidrs = cidrs
      .split(/[\s,]+/)
      .map((c) => c.trim())
      .filter(Boolean);
    const expiresAt = expiry === "never" ? null : new Date(Date.now() + Number(expiry) * 86_400_000);
    setShown(null);
    create.mutate({ name, scopes, allowedCidrs, expiresAt });
  }

  async function confirmRevoke() {
    if (!revoking) return;
    await revoke.mutateAsync({ id: revoking.id });
    toast({ title: `${revoking.name} was revoked`, tone: "success" });
    await queryClient.invalidateQueries(trpc.apiToken.list.pathFilter());
  }

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let your billing system and scripts use the REST API as you, limited to the scopes you choose."
        actions={
          <a href="/api/docs" className="text-sm font-medium text-brand hover:underline">
            API reference
          </a>
        }
      />
      <div className="flex flex-col gap-6">
        {shown && (
          <Card>
            <CardHeader title={`Your new token: ${shown.name}`} description="Copy it now. It is shown only this once; we keep only a hash of it." />
            <CardBody>
              <code data-testid="new-token" className="block break-all rounded bg-zinc-100 p-3 font-mono text-sm dark:bg-zinc-800">
                {shown.token}
              </code>
              <div className="mt-3">
                <Button variant="secondary" size="sm" onClick={() => setShown(null)}>
                  I have copied it
                </Button>
              </div>
            </CardBody>
          </Card>
        )}
        <Card>
          <CardHeader title="New token" />
          <CardBody>
            <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
              <div className="grid gap-4 sm:grid-cols-2">
                <Field label="Name" error={fieldErrors.name} hint="What uses it, e.g. WHMCS." required>
                  <Input name="name" value={name} onChange={(e) => setName(e.target.value)} maxLength={80} autoComplete="off" />
                </Field>
                <Field label="Expires" error={fieldErrors.expiresAt}>
                  <Select name="expiry" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
                    {expiryChoices.map((c) => (
                      <option key={c.value} value={c.value}>
                        {c.label}
                      </option>
                    ))}
                  </Select>
                </Field>
              </div>
              <fieldset>
                <legend className="text-sm font-medium text-zinc-800 dark:text-zinc-200">Scopes</legend>
                {fieldErrors.scopes && <p className="text-sm text-red-600">{fieldErrors.scopes}</p>}
                <div className="mt-2 grid gap-2 sm:grid-cols-3">
                  {offered.map(({ family, write }) => (
                    <label key={family} className="flex items-center justify-between gap-2 rounded border border-zinc-200 px-3 py-2 text-sm dark:border-zinc-700">
                      <span className="capitalize">{family}</span>
                      <select
                        aria-label={`${family} access`}
                        value={levels[family] ?? "none"}
                        onChange={(e) => setLevels({ ...levels, [family]: e.target.value as Level })}
                        className="rounded border border-zinc-300 bg-transparent px-1 py-0.5 text-sm dark:border-zinc-600"
                      >
                        <option value="none">No access</option>
                        <option value="read">Read</option>
                        {write && <option value="write">Read and write</option>}
                      </select>
                    </label>
                  ))}
                </div>
              </fieldset>
              <Field
                label="Allowed networks"
                error={Object.entries(fieldErrors).find(([k]) => k.startsWith("allowedCidrs"))?.[1]}
                hint="Optional. One address or network per line (203.0.113.0/24); empty allows any."
              >
                <Textarea name="allowedCidrs" rows={2} value={cidrs} onChange={(e) => setCidrs(e.target.value)} className="font-mono" />
              </Field>
              <FormError message={formError} />
              <div>
                <Button type="submit" loading={create.isPending}>
                  Create token
                </Button>
              </div>
            </form>
          </CardBody>
        </Card>
        <Card>
          <CardHeader title="Your tokens" />
          <CardBody className="overflow-x-auto">
            {q.data && q.data.items.length === 0 ? (
              <p className="text-sm text-zinc-500">No tokens yet.</p>
            ) : (
              <table className="w-full text-left text-sm" aria-label="API tokens">
                <thead className="text-xs uppercase text-zinc-500">
                  <tr>
                    <th className="py-2">Name</th>
                    <th>Token</th>
                    <th>Scopes</th>
                    <th>Last used</th>
                    <th>Expires</th>
                    <th>Status</th>
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {q.data?.items.map((t) => {
                    const s = tokenStatus(t);
                    return (
                      <tr key={t.id} className="border-t border-zinc-100 dark:border-zinc-800">
                        <td className="py-2 font-medium">{t.name}</td>
                        <td className="font-mono text-xs">pat_{t.prefix}_…</td>
                        <td className="text-xs">{t.scopes.join(", ")}</td>
                        <td className="text-xs">{t.lastUsedAt ? `${t.lastUsedAt.toLocaleString()} from ${t.lastUsedIp ?? "?"}` : "Never"}</td>
                        <td className="text-xs">{t.expiresAt ? t.expiresAt.toLocaleDateString() : "Never"}</td>
                        <td>
                          <StatusBadge status={s.status} label={s.label} />
                        </td>
                        <td className="text-right">
                          {!t.revokedAt && (
                            <Button variant="ghost" size="sm" onClick={() => setRevoking({ id: t.id, name: t.name })} aria-label={`Revoke ${t.name}`}>
                              Revoke
                            </Button>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </CardBody>
        </Card>
      </div>
      <ConfirmDialog
        open={revoking !== null}
        onClose={() => setRevoking(null)}
        title={revoking ? `Revoke ${revoking.name}?` : "Revoke token?"}
        description="Every call made with it is refused from now on. This cannot be undone."
        confirmLabel="Revoke token"
        onConfirm={confirmRevoke}
      />
    </>
  );
}
