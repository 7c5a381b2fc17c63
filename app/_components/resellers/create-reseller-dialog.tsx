"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "@/app/_components/button";
import { Dialog } from "@/app/_components/dialog";
import { Field, Input, Textarea } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { linesToList, listFieldError } from "./hostnames";

const empty = { name: "", displayName: "", hostnames: "", email: "", loginName: "", password: "" };

export function CreateResellerDialog({
  open,
  onClose,
  basePath,
  title,
}: {
  open: boolean;
  onClose: () => void;
  basePath: string;
  title: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const toast = useToast();
  const [form, setForm] = useState(empty);
  const create = useMutation(
    trpc.reseller.create.mutationOptions({
      onSuccess: async (reseller) => {
        await queryClient.invalidateQueries(trpc.reseller.pathFilter());
        toast({ title: `${reseller.name} created`, tone: "success" });
        onClose();
        router.push(`${basePath}/${reseller.id}`);
      },
    }),
  );
  const { fieldErrors, formError } = useFieldErrors(create.error);

  useEffect(() => {
    if (open) {
      setForm(empty);
      create.reset();
    }
    // Reset only when the dialog opens; `create` changes identity on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps -- on purpose, as said above
  }, [open]);

  const set = (key: keyof typeof empty) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({
      name: form.name,
      displayName: form.displayName || form.name,
      hostnames: linesToList(form.hostnames),
      login: { email: form.email, name: form.loginName, password: form.password },
    });
  }

  return (
    <Dialog open={open} onClose={onClose} title={title} busy={create.isPending} size="lg">
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Name" required error={fieldErrors.name} hint="For you and the audit log.">
            <Input value={form.name} onChange={set("name")} maxLength={100} autoComplete="off" />
          </Field>
          <Field label="Brand name" error={fieldErrors.displayName} hint="What their customers see; defaults to the name.">
            <Input value={form.displayName} onChange={set("displayName")} maxLength={100} autoComplete="off" />
          </Field>
        </div>
        <Field
          label="Panel hostnames"
          error={listFieldError(fieldErrors, "hostnames")}
          hint="Up to 5, one per line, such as panel.example.com. Leave empty to add later."
        >
          <Textarea value={form.hostnames} onChange={set("hostnames")} rows={3} spellCheck={false} className="font-mono" />
        </Field>
        <fieldset className="flex flex-col gap-4 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
          <legend className="px-1 text-sm font-medium text-zinc-800 dark:text-zinc-200">First login</legend>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Email" required error={fieldErrors["login.email"]}>
              <Input type="email" value={form.email} onChange={set("email")} autoComplete="off" />
            </Field>
            <Field label="Person's name" required error={fieldErrors["login.name"]}>
              <Input value={form.loginName} onChange={set("loginName")} maxLength={120} autoComplete="off" />
            </Field>
          </div>
          <Field
            label="Password"
            error={fieldErrors["login.password"]}
            hint="Optional. Leave empty to email them a link to choose their own."
          >
            <Input type="password" value={form.password} onChange={set("password")} autoComplete="new-password" />
          </Field>
        </fieldset>
        <FormError message={formError} />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose} disabled={create.isPending}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Create
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
