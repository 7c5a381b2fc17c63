"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "@/app/_components/button";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";

export function AddDomainForm({ accountId }: { accountId: string | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState("");
  const create = useMutation(
    trpc.domain.create.mutationOptions({
      onSuccess: async () => {
        toast({ title: `${name.trim()} added`, description: "Its DNS records are being published.", tone: "success" });
        setName("");
        await Promise.all([
          queryClient.invalidateQueries(trpc.domain.list.pathFilter()),
          queryClient.invalidateQueries(trpc.dashboard.get.pathFilter()),
        ]);
      },
    }),
  );
  const { fieldErrors, formError: anyError } = useFieldErrors(create.error);
  // With messages next to the fields, a summary line saying "correct the fields" adds nothing.
  const formError = Object.keys(fieldErrors).length > 0 ? null : anyError;

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ accountId, name });
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start">
        <Field
          label="Domain name"
          error={fieldErrors.name}
          hint="For example example.com. Internationalised names such as bücher.example work too."
          className="flex-1"
          required
        >
          <Input
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="example.com"
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            maxLength={300}
          />
        </Field>
        <Button type="submit" loading={create.isPending} className="sm:mt-7">
          Add domain
        </Button>
      </div>
      <FormError message={formError} />
    </form>
  );
}
