"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { Badge, StatusBadge } from "@/app/_components/badge";
import { Button } from "@/app/_components/button";
import { Card, CardBody, CardFooter, CardHeader, DetailList } from "@/app/_components/card";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { EmptyState } from "@/app/_components/empty-state";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { PageHeader } from "@/app/_components/page-header";
import { Spinner } from "@/app/_components/spinner";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

type Pending = "suspend" | "unsuspend" | "terminate" | null;

/** One customer: details, edit form, hosting accounts, logins ("Log in as") and the lifecycle actions. */
export function CustomerDetail({ id, audience }: { id: string; audience: "admin" | "reseller" }) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const q = useQuery(trpc.customer.get.queryOptions({ id }));
  const [confirm, setConfirm] = useState<Pending>(null);

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.customer.get.queryKey({ id }) });
    await queryClient.invalidateQueries({ queryKey: trpc.customer.list.queryKey() });
  };
  const onDone = (title: string) => async () => {
    await refresh();
    toast({ title, tone: "success" });
  };
  const suspend = useMutation(trpc.customer.suspend.mutationOptions({ onSuccess: onDone("Customer suspended") }));
  const unsuspend = useMutation(trpc.customer.unsuspend.mutationOptions({ onSuccess: onDone("Customer reactivated") }));
  const terminate = useMutation(trpc.customer.terminate.mutationOptions({ onSuccess: onDone("Customer terminated") }));
  const impersonate = useMutation(
    trpc.session.startImpersonation.mutationOptions({
      // A full navigation: the session cookie changed, so every layout must be rendered afresh.
      onSuccess: () => window.location.assign("/dashboard"),
      onError: (e) => toast({ title: "Could not log in as this user", description: e.message, tone: "error" }),
    }),
  );

  const base = `/${audience}/customers`;
  const breadcrumb = <Link href={base} className="hover:underline">Customers</Link>;

  if (q.isPending) {
    return (
      <div className="flex items-center gap-2 text-sm text-zinc-500">
        <Spinner /> Loading…
      </div>
    );
  }
  if (q.error) {
    return (
      <>
        <PageHeader title="Customer" breadcrumb={breadcrumb} />
        <FormError message={q.error.data?.code === "NOT_FOUND" ? "This customer does not exist or is not yours." : q.error.message} />
      </>
    );
  }
  const c = q.data;
  const terminated = c.status === "TERMINATED";

  return (
    <>
      <PageHeader
        title={c.name}
        breadcrumb={breadcrumb}
        description={<StatusBadge status={c.status} />}
        actions={
          !terminated && (
            <>
              {c.status === "ACTIVE" ? (
                <Button variant="secondary" onClick={() => setConfirm("suspend")}>
                  Suspend
                </Button>
              ) : (
                <Button variant="secondary" onClick={() => setConfirm("unsuspend")}>
                  Unsuspend
                </Button>
              )}
              <Button variant="danger" onClick={() => setConfirm("terminate")}>
                Terminate
              </Button>
            </>
          )
        }
      />

      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader title="Details" />
          <CardBody>
            <DetailList
              items={[
                { label: "Contact email", value: c.email },
                { label: "Company", value: c.company ?? "—" },
                { label: "Reseller", value: c.reseller.name },
                { label: "Created", value: dateTime.format(c.createdAt) },
              ]}
            />
          </CardBody>
        </Card>

        {/* Keyed on updatedAt so a save (or someone else's) reloads the form with the stored values. */}
        {!terminated && <EditCustomer key={c.updatedAt.toISOString()} customer={c} onSaved={refresh} />}

        <Card>
          <CardHeader title="Hosting accounts" />
          {c.accounts.length === 0 ? (
            <EmptyState title="No hosting accounts" />
          ) : (
            <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {c.accounts.map((a) => (
                <li key={a.id} className="flex flex-wrap items-center justify-between gap-2 px-5 py-3 text-sm">
                  <span className="flex flex-col">
                    <span className="font-mono text-zinc-900 dark:text-zinc-100">{a.username}</span>
                    <span className="text-xs text-zinc-500 dark:text-zinc-400">
                      {a.plan.name} plan · since {dateTime.format(a.createdAt)}
                    </span>
                  </span>
                  <span className="flex items-center gap-2">
                    {!a.deletedAt && a.nodeUsage.length > 0 && (
                      <Badge tone="danger" dot>
                        At its disk limit: uploads and new files fail
                      </Badge>
                    )}
                    <StatusBadge status={a.deletedAt ? "DELETED" : a.status} label={a.deletedAt ? "Removed" : undefined} />
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Card>

        <Card>
          <CardHeader title="Logins" description="People who can sign in to this customer's panel." />
          {c.users.length === 0 ? (
            <EmptyState title="No logins" />
          ) : (
            <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {c.users.map((u) => (
                <li key={u.id} className="flex flex-wrap items-center justify-between gap-2 px-5 py-3 text-sm">
                  <span className="text-zinc-900 dark:text-zinc-100">{u.email}</span>
                  {c.status === "ACTIVE" && (
                    <Button
                      size="sm"
                      variant="secondary"
                      loading={impersonate.isPending && impersonate.variables?.userId === u.id}
                      onClick={() => impersonate.mutate({ userId: u.id })}
                    >
                      Log in as
                    </Button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>

      <ConfirmDialog
        open={confirm === "suspend"}
        onClose={() => setConfirm(null)}
        title={`Suspend ${c.name}?`}
        description="Their sites stop being served and their logins are refused until you unsuspend them. Nothing is deleted."
        confirmLabel="Suspend"
        onConfirm={() => suspend.mutateAsync({ id })}
      />
      <ConfirmDialog
        open={confirm === "unsuspend"}
        onClose={() => setConfirm(null)}
        title={`Unsuspend ${c.name}?`}
        description="Their sites are served again and their logins work."
        confirmLabel="Unsuspend"
        destructive={false}
        onConfirm={() => unsuspend.mutateAsync({ id })}
      />
      <ConfirmDialog
        open={confirm === "terminate"}
        onClose={() => setConfirm(null)}
        title={`Terminate ${c.name}?`}
        description="Every hosting account, site, database, domain and mailbox of this customer is deleted from the servers, and their logins are disabled. This cannot be undone."
        confirmLabel="Terminate for good"
        confirmText={c.name}
        onConfirm={() => terminate.mutateAsync({ id, confirmName: c.name })}
      />
    </>
  );
}

function EditCustomer({
  customer,
  onSaved,
}: {
  customer: { id: string; name: string; email: string; company: string | null };
  onSaved: () => Promise<void>;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const [form, setForm] = useState({ name: customer.name, email: customer.email, company: customer.company ?? "" });
  const update = useMutation(
    trpc.customer.update.mutationOptions({
      onSuccess: async () => {
        await onSaved();
        toast({ title: "Customer saved", tone: "success" });
      },
    }),
  );
  const { fieldErrors, formError } = useFieldErrors(update.error);

  function submit(e: FormEvent) {
    e.preventDefault();
    update.mutate({ id: customer.id, ...form });
  }
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));

  return (
    <Card>
      <form onSubmit={submit} noValidate>
        <CardHeader title="Edit" />
        <CardBody className="flex flex-col gap-4">
          <FormError message={formError} />
          <Field label="Name" required error={fieldErrors.name}>
            <Input value={form.name} onChange={set("name")} maxLength={120} />
          </Field>
          <Field label="Contact email" required error={fieldErrors.email}>
            <Input type="email" value={form.email} onChange={set("email")} maxLength={254} />
          </Field>
          <Field label="Company" error={fieldErrors.company}>
            <Input value={form.company} onChange={set("company")} maxLength={120} />
          </Field>
        </CardBody>
        <CardFooter>
          <Button type="submit" loading={update.isPending}>
            Save
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}
