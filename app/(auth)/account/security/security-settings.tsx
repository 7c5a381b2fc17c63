"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { authClient, authErrorMessage } from "@/app/_components/auth-client";
import { Button, LinkButton } from "@/app/_components/button";
import { Card } from "@/app/_components/card";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { formText } from "@/app/_components/form-text";
import { RecoveryCodes } from "./recovery-codes";

type Action = "regenerate" | "disable";

export function SecuritySettings({ enabled, mayDisable }: { enabled: boolean; mayDisable: boolean }) {
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [pending, setPending] = useState<Action | null>(null);

  async function run(action: Action, form: HTMLFormElement) {
    const password = formText(new FormData(form), "password");
    if (!password) return setFieldError("Enter your password.");
    setFieldError(null);
    setError(null);
    setPending(action);
    const result =
      action === "regenerate"
        ? await authClient.twoFactor.generateBackupCodes({ password })
        : await authClient.twoFactor.disable({ password });
    setPending(null);
    if (result.error) {
      if (result.error.code === "INVALID_PASSWORD") setFieldError(authErrorMessage(result.error));
      else setError(authErrorMessage(result.error));
      return;
    }
    if (action === "disable") return window.location.reload();
    const data = result.data as { backupCodes?: string[] } | null;
    setCodes(data?.backupCodes ?? []);
    form.reset();
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    void run(submitter?.value === "disable" ? "disable" : "regenerate", event.currentTarget);
  }

  return (
    <Card className="p-6">
      <h1 className="mb-4 text-xl font-semibold">Security</h1>
      <h2 className="mb-2 font-medium">Two-factor authentication</h2>
      {!enabled ? (
        <div className="flex flex-col gap-3">
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            Off. With it on, signing in also asks for a code from an app on your phone.
          </p>
          <LinkButton href="/two-factor/setup" variant="primary" className="self-start">
            Set up two-factor authentication
          </LinkButton>
        </div>
      ) : (
        <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
          <p className="text-sm text-zinc-600 dark:text-zinc-400">On. Confirm your password to change it.</p>
          {codes && <RecoveryCodes codes={codes} />}
          <FormError message={error} />
          <Field label="Password" error={fieldError} required>
            <Input name="password" type="password" autoComplete="current-password" maxLength={128} />
          </Field>
          <div className="flex flex-wrap gap-2">
            <Button type="submit" name="action" value="regenerate" variant="secondary" loading={pending === "regenerate"}>
              New recovery codes
            </Button>
            {mayDisable && (
              <Button type="submit" name="action" value="disable" variant="danger" loading={pending === "disable"}>
                Turn off
              </Button>
            )}
          </div>
        </form>
      )}
      <Link href="/" className="mt-6 inline-block text-sm text-zinc-600 underline-offset-2 hover:underline dark:text-zinc-400">
        Back to the panel
      </Link>
    </Card>
  );
}
