"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { authClient, authErrorMessage } from "@/app/_components/auth-client";
import { Button } from "@/app/_components/button";
import { Card } from "@/app/_components/card";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { formText } from "@/app/_components/form-text";

export function SignInForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<{ email?: string; password?: string }>({});
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = formText(form, "email").trim();
    const password = formText(form, "password");
    const missing = {
      email: email ? undefined : "Enter your email address.",
      password: password ? undefined : "Enter your password.",
    };
    setFieldErrors(missing);
    setError(null);
    if (missing.email || missing.password) return;
    setPending(true);
    const { data, error: failure } = await authClient.signIn.email({ email, password });
    if (failure) {
      setPending(false);
      setError(authErrorMessage(failure));
      return;
    }
    const target =
      data && "twoFactorRedirect" in data && data.twoFactorRedirect
        ? `/sign-in/two-factor?next=${encodeURIComponent(next)}`
        : next;
    // A full navigation, so every server component renders for the new session.
    window.location.assign(target);
  }

  return (
    <Card className="p-6">
      <h1 className="mb-6 text-xl font-semibold">Sign in</h1>
      <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
        <FormError message={error} />
        <Field label="Email address" error={fieldErrors.email} required>
          <Input name="email" type="email" autoComplete="username" inputMode="email" autoFocus maxLength={254} />
        </Field>
        <Field label="Password" error={fieldErrors.password} required>
          <Input name="password" type="password" autoComplete="current-password" maxLength={128} />
        </Field>
        <Button type="submit" loading={pending} className="w-full">
          Sign in
        </Button>
        <Link href="/reset-password" className="text-center text-sm text-zinc-600 underline-offset-2 hover:underline dark:text-zinc-400">
          Forgot your password?
        </Link>
      </form>
    </Card>
  );
}
