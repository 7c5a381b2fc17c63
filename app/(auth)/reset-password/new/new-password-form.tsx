"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { authClient, authErrorMessage } from "@/app/_components/auth-client";
import { Button } from "@/app/_components/button";
import { Card } from "@/app/_components/card";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { formText } from "@/app/_components/form-text";

export function NewPasswordForm({ token }: { token: string | null }) {
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(token ? null : authErrorMessage({ code: "INVALID_TOKEN", status: 400 }));
  const [fieldErrors, setFieldErrors] = useState<{ password?: string; confirm?: string }>({});
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!token) return;
    const form = new FormData(event.currentTarget);
    const password = formText(form, "password");
    const confirm = formText(form, "confirm");
    const errors = {
      password: password.length < 10 ? "Use at least 10 characters." : password.length > 128 ? "Use at most 128 characters." : undefined,
      confirm: confirm !== password ? "The two passwords are not the same." : undefined,
    };
    setFieldErrors(errors);
    setError(null);
    if (errors.password || errors.confirm) return;
    setPending(true);
    const { error: failure } = await authClient.resetPassword({ newPassword: password, token });
    setPending(false);
    if (failure) {
      if (failure.code?.startsWith("PASSWORD_TOO")) setFieldErrors({ password: authErrorMessage(failure) ?? undefined });
      else setError(authErrorMessage(failure));
      return;
    }
    setDone(true);
  }

  return (
    <Card className="p-6">
      <h1 className="mb-4 text-xl font-semibold">Choose a password</h1>
      {done ? (
        <div role="status" className="flex flex-col gap-4 text-sm">
          <p>Your password is set. For your safety, every other session of this login has been signed out.</p>
          <Link href="/sign-in" className="font-medium underline-offset-2 hover:underline">
            Sign in
          </Link>
        </div>
      ) : (
        <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
          <FormError message={error} />
          <Field label="New password" hint="At least 10 characters." error={fieldErrors.password} required>
            <Input name="password" type="password" autoComplete="new-password" autoFocus maxLength={128} disabled={!token} />
          </Field>
          <Field label="Repeat the new password" error={fieldErrors.confirm} required>
            <Input name="confirm" type="password" autoComplete="new-password" maxLength={128} disabled={!token} />
          </Field>
          <Button type="submit" loading={pending} disabled={!token}>
            Set password
          </Button>
          {!token && (
            <Link href="/reset-password" className="text-center text-sm underline-offset-2 hover:underline">
              Ask for a new link
            </Link>
          )}
        </form>
      )}
    </Card>
  );
}
