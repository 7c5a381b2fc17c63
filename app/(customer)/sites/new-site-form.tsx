"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { Button } from "@/app/_components/button";
import { cx } from "@/app/_components/cx";
import { Field, Input, Select } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { appDescriptions, appLabels, offeredSiteApps, type SiteAppKey } from "./app-labels";

const apps = offeredSiteApps;

export function NewSiteForm({ accountId, initialDomainId }: { accountId: string | undefined; initialDomainId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  // The form offers domains without a site; 100 covers any plan's site limit in one request.
  const domains = useQuery(trpc.domain.list.queryOptions({ accountId, limit: 100, sort: "name" }));
  const free = (domains.data?.items ?? []).filter((d) => !d.site);
  const [domainId, setDomainId] = useState(initialDomainId ?? "");
  const [app, setApp] = useState<SiteAppKey>("WORDPRESS");
  const [documentRoot, setDocumentRoot] = useState("public");
  const [phpVersion, setPhpVersion] = useState<"8.2">("8.2");
  // Nothing is chosen for the customer: a pre-selected domain made one stray click a second install.
  const selected = free.find((d) => d.id === domainId) ? domainId : "";

  const create = useMutation(
    trpc.site.create.mutationOptions({
      onSuccess: async () => {
        toast({ title: "Site created", description: "It goes live as soon as a node has run its steps.", tone: "success" });
        setDomainId("");
        setApp("WORDPRESS");
        setDocumentRoot("public");
        setPhpVersion("8.2");
        await Promise.all([
          queryClient.invalidateQueries(trpc.site.list.pathFilter()),
          queryClient.invalidateQueries(trpc.domain.list.pathFilter()),
          queryClient.invalidateQueries(trpc.database.list.pathFilter()),
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
    create.mutate({ accountId, domainId: selected, app, documentRoot, phpVersion });
  }

  if (domains.isSuccess && domains.data.items.length === 0) {
    return (
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        A site is served at one of your domains.{" "}
        <Link href="/domains" className="font-medium text-zinc-900 underline dark:text-zinc-100">
          Add your first domain
        </Link>{" "}
        to create a site.
      </p>
    );
  }
  if (domains.isSuccess && free.length === 0) {
    return (
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Every domain already has a site.{" "}
        <Link href="/domains" className="font-medium text-zinc-900 underline dark:text-zinc-100">
          Add a domain
        </Link>{" "}
        to create another.
      </p>
    );
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-5" noValidate>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Domain" error={fieldErrors.domainId} required>
          <Select name="domainId" value={selected} onChange={(e) => setDomainId(e.target.value)} disabled={!domains.isSuccess}>
            <option value="" disabled>
              Choose a domain
            </option>
            {free.map((d) => (
              <option key={d.id} value={d.id}>
                {d.displayName}
                {d.displayName !== d.name ? ` (${d.name})` : ""}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="PHP version" error={fieldErrors.phpVersion}>
          <Select name="phpVersion" value={phpVersion} onChange={(e) => setPhpVersion(e.target.value as "8.2")}>
            <option value="8.2">PHP 8.2</option>
          </Select>
        </Field>
      </div>
      <fieldset>
        <legend className="mb-1.5 text-sm font-medium text-zinc-800 dark:text-zinc-200">Application</legend>
        <div className="grid gap-2 sm:grid-cols-2 lg:grid-cols-4">
          {apps.map((a) => (
            <label
              key={a}
              className={cx(
                "flex cursor-pointer flex-col gap-0.5 rounded-lg border px-3 py-2.5 text-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-brand",
                app === a
                  ? "border-brand bg-brand/5 dark:bg-brand/10"
                  : "border-zinc-300 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800",
              )}
            >
              <span className="flex items-center gap-2 font-medium text-zinc-900 dark:text-zinc-100">
                <input type="radio" name="app" value={a} checked={app === a} onChange={() => setApp(a)} className="accent-brand" />
                {appLabels[a]}
              </span>
              <span className="text-xs text-zinc-500 dark:text-zinc-400">{appDescriptions[a]}</span>
            </label>
          ))}
        </div>
        {fieldErrors.app && <p className="mt-1 text-sm text-red-700 dark:text-red-400">{fieldErrors.app}</p>}
      </fieldset>
      <Field
        label="Document root"
        error={fieldErrors.documentRoot}
        hint="The folder inside the site that the web server serves, such as public or web/html."
      >
        <Input
          name="documentRoot"
          value={documentRoot}
          onChange={(e) => setDocumentRoot(e.target.value)}
          maxLength={200}
          autoComplete="off"
          spellCheck={false}
          className="font-mono"
        />
      </Field>
      <FormError message={formError} />
      <div>
        <Button type="submit" loading={create.isPending} disabled={!selected}>
          Create site
        </Button>
      </div>
    </form>
  );
}
