"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "@/app/_components/button";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";

/** `prefix` is the account's "<username>_", which the server adds to both names when missing. */
export function NewDatabaseForm({ accountId, prefix }: { accountId: string | undefined; prefix: string | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState("");
  const [username, setUsername] = useState("");
  const create = useMutation(
    trpc.database.create.mutationOptions({
      onSuccess: async () => {
        toast({
          title: "Database created",
          description: "Its password is set when a node creates it.",
          tone: "success",
        });
        setName("");
        setUsername("");
        await Promise.all([
          queryClient.invalidateQueries(trpc.database.list.pathFilter()),
          queryClient.invalidateQueries(trpc.dashboard.get.pathFilter()),
        ]);
      },
    }),
  );
  const { fieldErrors, formError: anyError } = useFieldErrors(create.error);
  // With messages next to the fields, a summary line saying "correct the fields" adds nothing.
  const formError = Object.keys(fieldErrors).length > 0 ? null : anyError;
  const prefixHint = prefix ? `Starts with ${prefix}, added for you.` : "Your account's prefix is added for you.";

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ accountId, name, username: username.trim() === "" ? undefined : username });
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Database name" error={fieldErrors.name} hint={`Lower-case letters, digits and _. ${prefixHint}`} required>
          <Input
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="shop"
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            maxLength={100}
            className="font-mono"
          />
        </Field>
        <Field label="User name" error={fieldErrors.username} hint="Optional. Defaults to the database name (up to 32 characters).">
          <Input
            name="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            maxLength={100}
            className="font-mono"
          />
        </Field>
      </div>
      <FormError message={formError} />
      <div>
        <Button type="submit" loading={create.isPending}>
          Create database
        </Button>
      </div>
    </form>
  );
}
