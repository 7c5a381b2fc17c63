"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "@/app/_components/button";
import { Card, CardBody, CardHeader } from "@/app/_components/card";
import { Field, Input, Textarea } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { PageHeader } from "@/app/_components/page-header";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useForgetStaleAccount, useSelectedAccount } from "../dashboard/_components/selected-account";

export function SftpView() {
  const trpc = useTRPC();
  const { accountId } = useSelectedAccount();
  const q = useQuery(trpc.sftp.get.queryOptions({ accountId }));
  useForgetStaleAccount(q.error);
  const access = q.data;
  const server = access?.servers[0];

  return (
    <>
      <PageHeader title="SFTP" description="Upload and manage your sites' files with any SFTP client." />
      <div className="flex flex-col gap-6">
        <Card>
          <CardHeader title="Connection" />
          <CardBody>
            {q.error ? (
              <FormError message={q.error.message} />
            ) : !access ? (
              <p className="text-sm text-zinc-500">Loading…</p>
            ) : !access.enabled ? (
              <p className="text-sm" role="status">
                Your plan does not include SFTP. Contact your provider to have it turned on.
              </p>
            ) : (
              <dl className="grid gap-2 text-sm sm:grid-cols-[10rem_1fr]">
                <dt className="text-zinc-500">User name</dt>
                <dd className="font-mono" data-testid="sftp-username">{access.username}</dd>
                <dt className="text-zinc-500">Servers</dt>
                <dd className="font-mono break-all">
                  {access.servers.length === 0 ? "None yet" : access.servers.map((s) => `${s.address} port ${s.port}`).join(", ")}
                  <span className="block font-sans text-xs text-zinc-500">Any of them reaches all your sites.</span>
                </dd>
                {server ? (
                  <>
                    <dt className="text-zinc-500">Command line</dt>
                    <dd className="font-mono break-all">{`sftp -P ${server.port} ${access.username}@${server.address}`}</dd>
                  </>
                ) : null}
              </dl>
            )}
          </CardBody>
        </Card>
        {access?.enabled ? (
          <>
            <PasswordCard accountId={accountId} passwordSetAt={access.passwordSetAt} />
            <KeysCard accountId={accountId} keys={access.keys} />
          </>
        ) : null}
      </div>
    </>
  );
}

function PasswordCard({ accountId, passwordSetAt }: { accountId: string | undefined; passwordSetAt: Date | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [password, setPassword] = useState("");
  const set = useMutation(
    trpc.sftp.setPassword.mutationOptions({
      onSuccess: async (res) => {
        setPassword("");
        toast({ title: res.passwordSetAt ? "SFTP password set" : "SFTP password removed", tone: "success" });
        await queryClient.invalidateQueries(trpc.sftp.get.pathFilter());
      },
    }),
  );
  const { fieldErrors, formError: anyError } = useFieldErrors(set.error);
  const formError = Object.keys(fieldErrors).length > 0 ? null : anyError;

  function submit(e: FormEvent) {
    e.preventDefault();
    set.mutate({ accountId, password });
  }

  return (
    <Card>
      <CardHeader title="Password" />
      <CardBody>
        <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">
          {passwordSetAt ? `Set on ${passwordSetAt.toLocaleString()}.` : "No password is set: only your keys can sign in."}
        </p>
        <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
          <Field label="New SFTP password" error={fieldErrors.password} hint="At least 10 characters. Only a hash of it is kept.">
            <Input name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" maxLength={200} />
          </Field>
          <FormError message={formError} />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" loading={set.isPending}>
              Set password
            </Button>
            {passwordSetAt ? (
              <Button type="button" variant="ghost" onClick={() => set.mutate({ accountId, password: null })}>
                Remove password
              </Button>
            ) : null}
          </div>
        </form>
      </CardBody>
    </Card>
  );
}

type Key = { id: string; name: string; algorithm: string; fingerprint: string; createdAt: Date };

function KeysCard({ accountId, keys }: { accountId: string | undefined; keys: Key[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState("");
  const [publicKey, setPublicKey] = useState("");
  const refresh = () => queryClient.invalidateQueries(trpc.sftp.get.pathFilter());
  const add = useMutation(
    trpc.sftp.addKey.mutationOptions({
      onSuccess: async (key) => {
        setName("");
        setPublicKey("");
        toast({ title: "Key added", description: key.fingerprint, tone: "success" });
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.sftp.deleteKey.mutationOptions({ onSuccess: refresh }));
  const { fieldErrors, formError: anyError } = useFieldErrors(add.error);
  const formError = Object.keys(fieldErrors).length > 0 ? null : anyError;

  function submit(e: FormEvent) {
    e.preventDefault();
    add.mutate({ accountId, name: name.trim() === "" ? null : name, publicKey });
  }

  return (
    <Card>
      <CardHeader title="SSH keys" />
      <CardBody>
        {keys.length === 0 ? (
          <p className="mb-4 text-sm text-zinc-600 dark:text-zinc-400">No keys yet.</p>
        ) : (
          <ul className="mb-4 divide-y divide-zinc-200 dark:divide-zinc-800" aria-label="SSH keys">
            {keys.map((k) => (
              <li key={k.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                <div className="min-w-0">
                  <div className="font-medium">{k.name}</div>
                  <div className="font-mono text-xs break-all text-zinc-600 dark:text-zinc-400">
                    {k.algorithm} {k.fingerprint}
                  </div>
                </div>
                <Button variant="ghost" size="sm" onClick={() => remove.mutate({ accountId, id: k.id })} aria-label={`Remove key ${k.name}`}>
                  Remove
                </Button>
              </li>
            ))}
          </ul>
        )}
        <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
          <Field label="Public key" error={fieldErrors.publicKey} hint="One line, such as the contents of ~/.ssh/id_ed25519.pub." required>
            <Textarea
              name="publicKey"
              value={publicKey}
              onChange={(e) => setPublicKey(e.target.value)}
              rows={3}
              spellCheck={false}
              className="font-mono text-xs"
              placeholder="ssh-ed25519 AAAA… you@laptop"
            />
          </Field>
          <Field label="Label" error={fieldErrors.name} hint="Optional. Defaults to the key's comment.">
            <Input name="name" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} autoComplete="off" />
          </Field>
          <FormError message={formError} />
          <div>
            <Button type="submit" loading={add.isPending}>
              Add key
            </Button>
          </div>
        </form>
      </CardBody>
    </Card>
  );
}
