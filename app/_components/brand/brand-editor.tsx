"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ChangeEvent, type FormEvent } from "react";
import { linesToList, listFieldError } from "../resellers/hostnames";
import { Button } from "@/app/_components/button";
import { Card, CardBody, CardFooter, CardHeader } from "@/app/_components/card";
import { Field, Input, Textarea } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { Spinner } from "@/app/_components/spinner";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { parseHexColour } from "@/server/domain/colour";
import { formatRatio, MIN_CONTRAST, textOnColour } from "@/server/domain/brand-colours";
import { BrandPreview, type PreviewValues } from "./brand-preview";

type Brand = {
  resellerId: string;
  displayName: string;
  primaryColor: string;
  accentColor: string;
  nameservers: string[];
  supportEmail: string | null;
  emailSenderName: string | null;
  logo: { url: string; width: number; height: number } | null;
  generation: number;
};

/**
 * Edits a brand: the caller's own (no resellerId) or, for an admin or an ancestor reseller, the
 * one of the reseller given. The preview renders the unsaved values.
 */
export function BrandEditor({ resellerId }: { resellerId?: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.brand.get.queryOptions({ resellerId }));
  if (q.isPending) {
    return (
      <p className="flex items-center gap-2 text-sm text-zinc-500">
        <Spinner /> Loading brand…
      </p>
    );
  }
  if (!q.data) return <FormError message={q.error?.message ?? "The brand could not be loaded."} />;
  // A saved change (a new generation) restarts the form from the stored values.
  return <BrandForm key={q.data.generation} brand={q.data} resellerId={resellerId} />;
}

function BrandForm({ brand, resellerId }: { brand: Brand; resellerId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [form, setForm] = useState({
    displayName: brand.displayName,
    primaryColor: brand.primaryColor,
    accentColor: brand.accentColor,
    nameservers: brand.nameservers.join("\n"),
    supportEmail: brand.supportEmail ?? "",
    emailSenderName: brand.emailSenderName ?? "",
  });
  const update = useMutation(
    trpc.brand.update.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.brand.pathFilter());
        toast({ title: "Brand saved", tone: "success" });
      },
    }),
  );
  const { fieldErrors, formError } = useFieldErrors(update.error);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));

  function submit(e: FormEvent) {
    e.preventDefault();
    update.mutate({
      resellerId,
      displayName: form.displayName,
      primaryColor: form.primaryColor,
      accentColor: form.accentColor,
      nameservers: linesToList(form.nameservers),
      supportEmail: form.supportEmail,
      emailSenderName: form.emailSenderName,
    });
  }

  // Until a typed colour parses, the preview keeps the last saved one.
  const primary = parsedOr(form.primaryColor, brand.primaryColor);
  const accent = parsedOr(form.accentColor, brand.accentColor);
  const preview: PreviewValues = {
    displayName: form.displayName.trim() || brand.displayName,
    primaryColor: primary,
    accentColor: accent,
    supportEmail: form.supportEmail.trim(),
    logoUrl: brand.logo?.url ?? null,
  };

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,26rem)]">
      <div className="flex flex-col gap-6">
        <Card>
          <form onSubmit={submit} noValidate>
            <CardHeader title="Brand settings" />
            <CardBody className="flex flex-col gap-4">
              <Field label="Brand name" required error={fieldErrors.displayName} hint="Shown in the panel header, sign-in page and emails.">
                <Input value={form.displayName} onChange={set("displayName")} maxLength={100} />
              </Field>
              <div className="grid gap-4 sm:grid-cols-2">
                <ColourField label="Primary colour" value={form.primaryColor} onChange={set("primaryColor")} error={fieldErrors.primaryColor} />
                <ColourField label="Accent colour" value={form.accentColor} onChange={set("accentColor")} error={fieldErrors.accentColor} />
              </div>
              <Field
                label="Nameservers"
                error={listFieldError(fieldErrors, "nameservers")}
                hint="Optional: 2 to 6, one per line, such as ns1.your-domain.com. Leave empty to use the platform's nameservers."
              >
                <Textarea value={form.nameservers} onChange={set("nameservers")} rows={3} spellCheck={false} className="font-mono" />
              </Field>
              <div className="grid gap-4 sm:grid-cols-2">
                <Field label="Support email" error={fieldErrors.supportEmail} hint="Optional. Shown to customers who need help.">
                  <Input type="email" value={form.supportEmail} onChange={set("supportEmail")} />
                </Field>
                <Field label="Email sender name" error={fieldErrors.emailSenderName} hint="Optional. The “From” name on mails to customers.">
                  <Input value={form.emailSenderName} onChange={set("emailSenderName")} maxLength={100} />
                </Field>
              </div>
              <FormError message={formError} />
            </CardBody>
            <CardFooter>
              <Button type="submit" loading={update.isPending}>
                Save brand
              </Button>
            </CardFooter>
          </form>
        </Card>
        <NameserverCard resellerId={resellerId} />
        <LogoCard brand={brand} resellerId={resellerId} />
      </div>
      <div className="lg:sticky lg:top-6 lg:self-start">
        <BrandPreview values={preview} />
      </div>
    </div>
  );
}

function parsedOr(value: string, fallback: string): string {
  const parsed = parseHexColour(value);
  return parsed.ok ? parsed.value : fallback;
}

function ColourField({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: string;
  onChange: (e: { target: { value: string } }) => void;
  error?: string;
}) {
  const parsed = parseHexColour(value);
  const verdict = parsed.ok ? textOnColour(parsed.value) : null;
  const hint = !parsed.ok
    ? parsed.error
    : verdict!.readable
      ? `${verdict!.text === "#ffffff" ? "White" : "Dark"} text reads at ${formatRatio(verdict!.ratio)} (at least ${MIN_CONTRAST}:1 needed).`
      : `Too low: white text ${formatRatio(verdict!.whiteRatio)}, dark text ${formatRatio(verdict!.darkRatio)}; ${MIN_CONTRAST}:1 needed.`;
  return (
    // A server error already states both ratios; the hint would repeat it.
    <Field label={label} required error={error} hint={error ? undefined : hint}>
      <div className="flex gap-2">
        <input
          type="color"
          aria-label={`${label} picker`}
          value={parsed.ok ? parsed.value : "#000000"}
          onChange={onChange}
          className="h-10 w-12 shrink-0 cursor-pointer rounded-lg border border-zinc-300 bg-white p-1 dark:border-zinc-700 dark:bg-zinc-900"
        />
        <Input value={value} onChange={onChange} maxLength={7} spellCheck={false} className="font-mono" />
      </div>
    </Field>
  );
}

const maxLogoBytes = 1024 * 1024;

function LogoCard({ brand, resellerId }: { brand: Brand; resellerId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [localError, setLocalError] = useState<string | null>(null);
  const refresh = async (title: string) => {
    await queryClient.invalidateQueries(trpc.brand.pathFilter());
    toast({ title, tone: "success" });
  };
  const upload = useMutation(trpc.brand.uploadLogo.mutationOptions({ onSuccess: () => refresh("Logo uploaded") }));
  const remove = useMutation(trpc.brand.removeLogo.mutationOptions({ onSuccess: () => refresh("Logo removed") }));
  const { fieldErrors, formError } = useFieldErrors(upload.error ?? remove.error);

  async function choose(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = "";
    setLocalError(null);
    upload.reset();
    if (!file) return;
    // Checked here only to save a pointless upload; the server checks again and decides the type.
    if (file.size > maxLogoBytes) {
      setLocalError(`${file.name} is ${(file.size / 1024 / 1024).toFixed(1)} MB; the logo must be at most 1 MB.`);
      return;
    }
    upload.mutate({ resellerId, logo: await readAsBase64(file) });
  }

  return (
    <Card>
      <CardHeader title="Logo" description="PNG, JPEG, WebP or GIF, up to 1 MB; it is resized to fit 512×512." />
      <CardBody className="flex flex-col gap-4">
        <div className="flex items-center gap-4">
          <div className="flex size-20 items-center justify-center rounded-lg border border-dashed border-zinc-300 bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-800">
            {brand.logo ? (
              // eslint-disable-next-line @next/next/no-img-element -- our own PNG re-encode (brand-logo route), already sized
              <img src={brand.logo.url} alt={`${brand.displayName} logo`} className="max-h-16 max-w-16 object-contain" />
            ) : (
              <span className="text-xs text-zinc-400">No logo</span>
            )}
          </div>
          {brand.logo && (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">
              {brand.logo.width}×{brand.logo.height} pixels
            </p>
          )}
        </div>
        <Field label="Upload a logo" error={localError ?? fieldErrors.logo}>
          <Input
            type="file"
            accept="image/png,image/jpeg,image/webp,image/gif"
            onChange={choose}
            disabled={upload.isPending}
            className="h-auto py-1.5 file:mr-3 file:rounded-md file:border-0 file:bg-zinc-100 file:px-3 file:py-1 file:text-sm dark:file:bg-zinc-800 dark:file:text-zinc-200"
          />
        </Field>
        {!fieldErrors.logo && <FormError message={formError} />}
      </CardBody>
      {brand.logo && (
        <CardFooter>
          <Button variant="secondary" loading={remove.isPending} onClick={() => remove.mutate({ resellerId })}>
            Remove logo
          </Button>
        </CardFooter>
      )}
    </Card>
  );
}

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      // readAsDataURL always yields a string.
      const url = typeof reader.result === "string" ? reader.result : "";
      resolve(url.slice(url.indexOf(",") + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error("The file could not be read."));
    reader.readAsDataURL(file);
  });
}

/**
 * Where the reseller's customers point their domains: the platform's default nameservers, or the
 * reseller's own with the glue addresses to set at its registrar and a live delegation check.
 */
function NameserverCard({ resellerId }: { resellerId?: string }) {
  const trpc = useTRPC();
  const [check, setCheck] = useState(false);
  const q = useQuery(trpc.brand.nameserverStatus.queryOptions({ resellerId, check }));
  const s = q.data;
  return (
    <Card aria-label="Nameserver status">
      <CardHeader
        title="Nameservers in use"
        description={s?.own ? "Your own nameservers. Set these glue addresses at your domain's registrar." : "You have none of your own, so your customers' domains use the platform's."}
      />
      <CardBody className="flex flex-col gap-3 text-sm">
        {!s ? (
          <p className="flex items-center gap-2 text-zinc-500">
            <Spinner /> Loading…
          </p>
        ) : s.own ? (
          <>
            <table className="w-full text-left">
              <caption className="sr-only">Glue addresses</caption>
              <thead className="text-xs uppercase tracking-wide text-zinc-500">
                <tr>
                  <th scope="col" className="py-1 font-medium">Nameserver</th>
                  <th scope="col" className="py-1 font-medium">Glue address</th>
                </tr>
              </thead>
              <tbody>
                {s.glue.map((g) => (
                  <tr key={g.name}>
                    <td className="py-1 font-mono">{g.name}</td>
                    <td className="py-1 font-mono">{g.address ?? "no node yet"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="flex items-center gap-3">
              <Button size="sm" variant="secondary" loading={q.isFetching && check} onClick={() => (check ? void q.refetch() : setCheck(true))}>
                Check delegation
              </Button>
              {s.delegation && (
                <span className={s.delegation.live ? "text-emerald-700 dark:text-emerald-400" : "text-amber-700 dark:text-amber-400"}>
                  {s.delegation.live ? "Live: " : "Not live yet: "}
                  {s.delegation.detail}
                </span>
              )}
            </div>
          </>
        ) : s.nameservers.length > 0 ? (
          <ul className="font-mono">
            {s.nameservers.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        ) : (
          <p className="text-zinc-500">The platform has no default nameservers yet; the administrator sets them.</p>
        )}
      </CardBody>
    </Card>
  );
}
