"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { StatusBadge } from "@/app/_components/badge";
import { Button } from "@/app/_components/button";
import { Card, CardBody, CardFooter, CardHeader, DetailList } from "@/app/_components/card";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { Field, Input, Textarea } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { PageHeader } from "@/app/_components/page-header";
import { Spinner } from "@/app/_components/spinner";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { BrandEditor } from "../brand/brand-editor";
import { linesToList, listFieldError } from "./hostnames";
import { ResellersTable } from "./resellers-table";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A reseller's page for whoever manages it: an admin, or an ancestor reseller. */
export function ResellerDetail({ id, basePath, listLabel }: { id: string; basePath: string; listLabel: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.reseller.get.queryOptions({ id }));
  const r = q.data;

  if (q.isPending) {
    return (
      <p className="flex items-center gap-2 text-sm text-zinc-500">
        <Spinner /> Loading…
      </p>
    );
  }
  if (!r) return <FormError message={q.error?.message ?? "This reseller could not be loaded."} />;

  return (
    <>
      <PageHeader
        breadcrumb={<Link href={basePath} className="hover:underline">← {listLabel}</Link>}
        title={
          <span className="flex items-center gap-3">
            {r.name} <StatusBadge status={r.status} />
          </span>
        }
        description={r.parent ? `Sub-reseller of ${r.parent.name}.` : undefined}
        actions={<StatusAction id={r.id} name={r.name} status={r.status} />}
      />
      {r.blockedBy && (
        <FormError
          className="mb-6"
          message={`${r.blockedBy.name} is suspended, so this reseller and its customers cannot sign in either, whatever its own status.`}
        />
      )}
      <div className="flex flex-col gap-6">
        <Card>
          <CardHeader title="Overview" />
          <CardBody>
            <DetailList
              items={[
                { label: "Brand name", value: r.displayName },
                { label: "Customers", value: r.customerCount },
                { label: "Sub-resellers", value: r.subResellerCount },
                { label: "Created", value: dateFormat.format(r.createdAt) },
              ]}
            />
          </CardBody>
        </Card>
        {/* Keyed by the saved version: a save or another person's change starts the form afresh,
            while a background refetch of the same version leaves typing alone. */}
        <SettingsForm key={r.updatedAt.getTime()} id={r.id} name={r.name} hostnames={r.hostnames} />
        <BrandEditor resellerId={r.id} />
        <section aria-labelledby="subs-heading" className="flex flex-col gap-3">
          <h2 id="subs-heading" className="text-base font-semibold text-zinc-900 dark:text-zinc-100">
            Sub-resellers
          </h2>
          <ResellersTable basePath={basePath} parentId={r.id} label="Sub-resellers" />
        </section>
      </div>
    </>
  );
}

function SettingsForm({ id, name, hostnames }: { id: string; name: string; hostnames: string[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [form, setForm] = useState({ name, hostnames: hostnames.join("\n") });
  const update = useMutation(
    trpc.reseller.update.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.reseller.pathFilter());
        toast({ title: "Reseller saved", tone: "success" });
      },
    }),
  );
  const { fieldErrors, formError } = useFieldErrors(update.error);

  function submit(e: FormEvent) {
    e.preventDefault();
    update.mutate({ id, name: form.name, hostnames: linesToList(form.hostnames) });
  }

  return (
    <Card>
      <form onSubmit={submit} noValidate>
        <CardHeader title="Settings" description="The name you know it by, and the hostnames its panel answers on." />
        <CardBody className="flex flex-col gap-4">
          <Field label="Name" required error={fieldErrors.name}>
            <Input value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} maxLength={100} />
          </Field>
          <Field
            label="Panel hostnames"
            error={listFieldError(fieldErrors, "hostnames")}
            hint="Up to 5, one per line, such as panel.example.com."
          >
            <Textarea
              value={form.hostnames}
              onChange={(e) => setForm((f) => ({ ...f, hostnames: e.target.value }))}
              rows={3}
              spellCheck={false}
              className="font-mono"
            />
          </Field>
          <FormError message={formError} />
        </CardBody>
        <CardFooter>
          <Button type="submit" loading={update.isPending}>
            Save settings
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}

function StatusAction({ id, name, status }: { id: string; name: string; status: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const done = async (title: string) => {
    await queryClient.invalidateQueries(trpc.reseller.pathFilter());
    toast({ title, tone: "success" });
  };
  const suspend = useMutation(trpc.reseller.suspend.mutationOptions({ onSuccess: () => done(`${name} suspended`) }));
  const unsuspend = useMutation(trpc.reseller.unsuspend.mutationOptions({ onSuccess: () => done(`${name} is active again`) }));
  if (status === "TERMINATED") return null;
  const suspending = status === "ACTIVE";

  return (
    <>
      <Button variant={suspending ? "danger" : "secondary"} onClick={() => setOpen(true)}>
        {suspending ? "Suspend" : "Unsuspend"}
      </Button>
      <ConfirmDialog
        open={open}
        onClose={() => setOpen(false)}
        title={suspending ? `Suspend ${name}?` : `Unsuspend ${name}?`}
        description={
          suspending
            ? "Its logins, every sub-reseller below it and all their customers lose access to the panel until you unsuspend it."
            : "Its logins, its sub-resellers and their customers can use the panel again."
        }
        confirmText={name}
        confirmLabel={suspending ? "Suspend" : "Unsuspend"}
        destructive={suspending}
        onConfirm={() => (suspending ? suspend.mutateAsync({ id }) : unsuspend.mutateAsync({ id }))}
      />
    </>
  );
}
