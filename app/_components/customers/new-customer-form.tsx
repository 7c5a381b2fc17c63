"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button, LinkButton } from "@/app/_components/button";
import { Card, CardBody, CardFooter } from "@/app/_components/card";
import { Field, Input, Select } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { PageHeader } from "@/app/_components/page-header";
import { useToast } from "@/app/_components/toast";
import { useTRPC } from "@/app/_components/trpc-provider";
import { useFieldErrors } from "@/app/_components/use-field-errors";

/**
 * A reseller creates under itself by default or under one of its sub-resellers; an admin must pick
 * the reseller. The plan list follows the chosen reseller, because a customer can only be on a
 * plan of the reseller that owns it.
 */
export function NewCustomerForm({ audience, ownResellerId }: { audience: "admin" | "reseller"; ownResellerId: string | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const base = `/${audience}/customers`;

  const [form, setForm] = useState({ name: "", email: "", company: "", resellerId: "", planId: "", unixUsername: "" });
  const [login, setLogin] = useState({ email: "", password: "" });
  const [loginEmailTouched, setLoginEmailTouched] = useState(false);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));

  const resellers = useQuery(trpc.reseller.list.queryOptions({ limit: 100 }));
  const ownerId = form.resellerId || (audience === "reseller" ? ownResellerId : null);
  const plans = useQuery({
    ...trpc.plan.list.queryOptions({ resellerId: ownerId ?? undefined, limit: 100 }),
    enabled: Boolean(ownerId),
  });

  const create = useMutation(
    trpc.customer.create.mutationOptions({
      onSuccess: async (customer) => {
        await queryClient.invalidateQueries({ queryKey: trpc.customer.list.queryKey() });
        toast({ title: `${customer.name} created`, description: `Hosting account ${customer.accounts[0]?.username ?? ""}`, tone: "success" });
        router.push(`${base}/${customer.id}`);
      },
    }),
  );
  const { fieldErrors, formError } = useFieldErrors(create.error);

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({
      name: form.name,
      email: form.email,
      company: form.company,
      resellerId: form.resellerId || undefined,
      planId: form.planId,
      unixUsername: form.unixUsername,
      login: { email: loginEmailTouched ? login.email : form.email, password: login.password },
    });
  }

  const needsOwner = audience === "admin";
  const hasOwnerChoice = needsOwner || (resellers.data?.items.length ?? 0) > 0;

  return (
    <>
      <PageHeader
        title="New customer"
        description="Creates the customer, one hosting account on the chosen plan, and a login for them."
        breadcrumb={<Link href={base} className="hover:underline">Customers</Link>}
      />
      <form onSubmit={submit} noValidate>
        <Card className="max-w-2xl">
          <CardBody className="flex flex-col gap-5">
            <FormError message={formError} />
            <div className="grid gap-5 sm:grid-cols-2">
              <Field label="Name" required error={fieldErrors.name}>
                <Input value={form.name} onChange={set("name")} maxLength={120} autoComplete="off" />
              </Field>
              <Field label="Contact email" required error={fieldErrors.email}>
                <Input type="email" value={form.email} onChange={set("email")} maxLength={254} autoComplete="off" />
              </Field>
              <Field label="Company" hint="Optional." error={fieldErrors.company}>
                <Input value={form.company} onChange={set("company")} maxLength={120} />
              </Field>
              {hasOwnerChoice && (
                <Field label="Reseller" required={needsOwner} error={fieldErrors.resellerId}>
                  <Select
                    value={form.resellerId}
                    onChange={(e) => setForm((f) => ({ ...f, resellerId: e.target.value, planId: "" }))}
                  >
                    <option value="">{needsOwner ? "Choose a reseller…" : "Your own account"}</option>
                    {resellers.data?.items.map((r) => (
                      <option key={r.id} value={r.id}>
                        {r.name}
                      </option>
                    ))}
                  </Select>
                </Field>
              )}
              <Field
                label="Plan"
                required
                error={fieldErrors.planId}
                hint={ownerId && plans.data?.items.length === 0 ? "This reseller has no active plans yet." : undefined}
              >
                <Select value={form.planId} onChange={set("planId")} disabled={!ownerId}>
                  <option value="">{ownerId ? "Choose a plan…" : "Choose a reseller first"}</option>
                  {plans.data?.items.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name} ({p.maxSites} sites, {Math.round(p.diskMb / 1000)} GB)
                    </option>
                  ))}
                </Select>
              </Field>
              <Field
                label="Unix username"
                hint="Optional: suggested from the name when left empty. Lower-case letters, digits and underscores."
                error={fieldErrors.unixUsername}
              >
                <Input value={form.unixUsername} onChange={set("unixUsername")} maxLength={32} autoCapitalize="off" spellCheck={false} />
              </Field>
            </div>
            <fieldset className="flex flex-col gap-5 border-t border-zinc-200 pt-5 dark:border-zinc-800">
              <legend className="sr-only">Login</legend>
              <h2 className="text-sm font-semibold text-zinc-900 dark:text-zinc-100">Their login</h2>
              <div className="grid gap-5 sm:grid-cols-2">
                <Field label="Login email" required error={fieldErrors["login.email"]}>
                  <Input
                    type="email"
                    value={loginEmailTouched ? login.email : form.email}
                    onChange={(e) => {
                      setLoginEmailTouched(true);
                      setLogin((l) => ({ ...l, email: e.target.value }));
                    }}
                    maxLength={254}
                    autoComplete="off"
                  />
                </Field>
                <Field
                  label="Password"
                  hint="Optional: leave empty and they get an email to choose their own."
                  error={fieldErrors["login.password"]}
                >
                  <Input
                    type="password"
                    value={login.password}
                    onChange={(e) => setLogin((l) => ({ ...l, password: e.target.value }))}
                    maxLength={128}
                    autoComplete="new-password"
                  />
                </Field>
              </div>
            </fieldset>
          </CardBody>
          <CardFooter>
            <LinkButton href={base}>Cancel</LinkButton>
            <Button type="submit" loading={create.isPending}>
              Create customer
            </Button>
          </CardFooter>
        </Card>
      </form>
    </>
  );
}
