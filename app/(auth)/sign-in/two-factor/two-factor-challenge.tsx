"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { authClient, authErrorMessage } from "@/app/_components/auth-client";
import { Button } from "@/app/_components/button";
import { Card } from "@/app/_components/card";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { formText } from "@/app/_components/form-text";

export function TwoFactorChallenge({ next }: { next: string }) {
  const [recovery, setRecovery] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [codeError, setCodeError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const code = formText(new FormData(event.currentTarget), "code").replace(/\s+/g, "");
    setError(null);
    if (recovery ? code.length < 6 : !/^\d{6}$/.test(code)) {
      setCodeError(recovery ? "Enter one of your recovery codes." : "Enter the 6-digit code from your app.");
      return;
    }
    setCodeError(null);
    setPending(true);
    const { error: failure } = recovery
      ? await authClient.twoFactor.verifyBackupCode({ code })
      : await authClient.twoFactor.verifyTotp({ code });
    if (failure) {
      setPending(false);
      const message = authErrorMessage(failure);
      if (failure.code === "INVALID_CODE" || failure.code === "INVALID_BACKUP_CODE") setCodeError(message);
      else setError(message);
      return;
    }
    window.location.assign(next);
  }

  return (
    <Card className="p-6">
      <h1 className="mb-2 text-xl font-semibold">Two-factor authentication</h1>
      <p className="mb-6 text-sm text-zinc-600 dark:text-zinc-400">
        {recovery
          ? "Enter one of the recovery codes you saved when you set up two-factor authentication. Each code works once."
          : "Enter the 6-digit code from your authenticator app."}
      </p>
      <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
        <FormError message={error} />
        <Field key={recovery ? "recovery" : "totp"} label={recovery ? "Recovery code" : "Code"} error={codeError} required>
          <Input
            name="code"
            autoComplete="one-time-code"
            inputMode={recovery ? "text" : "numeric"}
            autoFocus
            maxLength={recovery ? 32 : 6}
            spellCheck={false}
          />
        </Field>
        <Button type="submit" loading={pending} className="w-full">
          Verify
        </Button>
        <button
          type="button"
          onClick={() => {
            setRecovery((r) => !r);
            setCodeError(null);
          }}
          className="text-sm text-zinc-600 underline-offset-2 hover:underline dark:text-zinc-400"
        >
          {recovery ? "Use a code from my app instead" : "Use a recovery code instead"}
        </button>
        <Link href="/sign-in" className="text-center text-sm text-zinc-600 underline-offset-2 hover:underline dark:text-zinc-400">
          Back to sign-in
        </Link>
      </form>
    </Card>
  );
}
