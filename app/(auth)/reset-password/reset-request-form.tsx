"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { authClient, authErrorMessage } from "@/app/_components/auth-client";
import { Button } from "@/app/_components/button";
import { Card } from "@/app/_components/card";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { formText } from "@/app/_components/form-text";

export function ResetRequestForm() {
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = formText(new FormData(event.currentTarget), "email").trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) return setFieldError("Enter your email address.");
    setFieldError(null);
    setError(null);
    setPending(true);
    const { error: failure } = await authClient.requestPasswordReset({ email });
    setPending(false);
    // Only a rate limit is reported: whether the address has a login is never revealed.
    if (failure?.status === 429) return setError(authErrorMessage(failure));
    setSent(true);
  }

  return (
    <Card className="p-6">
      <h1 className="mb-2 text-xl font-semibold">Reset your password</h1>
      {sent ? (
        <p role="status" className="text-sm">
          If that address has a login, a mail with a link to choose a new password is on its way. The link works for one hour.
        </p>
      ) : (
        <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
          <p className="text-sm text-zinc-600 dark:text-zinc-400">We will mail you a link to choose a new password.</p>
          <FormError message={error} />
          <Field label="Email address" error={fieldError} required>
            <Input name="email" type="email" autoComplete="email" inputMode="email" autoFocus maxLength={254} />
          </Field>
          <Button type="submit" loading={pending}>
            Send the link
          </Button>
        </form>
      )}
      <Link href="/sign-in" className="mt-4 block text-center text-sm text-zinc-600 underline-offset-2 hover:underline dark:text-zinc-400">
        Back to sign-in
      </Link>
    </Card>
  );
}
