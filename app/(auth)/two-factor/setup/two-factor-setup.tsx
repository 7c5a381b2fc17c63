"use client";
import QRCode from "qrcode";
import { useState, type FormEvent } from "react";
import { authClient, authErrorMessage } from "@/app/_components/auth-client";
import { Button } from "@/app/_components/button";
import { Card } from "@/app/_components/card";
import { Field, Input } from "@/app/_components/field";
import { FormError } from "@/app/_components/form-error";
import { formText } from "@/app/_components/form-text";
import { RecoveryCodes } from "../../account/security/recovery-codes";

type Step =
  | { kind: "password" }
  | { kind: "scan"; qr: string; secret: string; backupCodes: string[] }
  | { kind: "codes"; backupCodes: string[] };

export function TwoFactorSetup({ required }: { required: boolean }) {
  const [step, setStep] = useState<Step>({ kind: "password" });
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function start(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const password = formText(new FormData(event.currentTarget), "password");
    if (!password) return setFieldError("Enter your password.");
    setFieldError(null);
    setError(null);
    setPending(true);
    const { data, error: failure } = await authClient.twoFactor.enable({ password });
    setPending(false);
    if (failure || !data || !("totpURI" in data) || !data.totpURI) {
      if (failure?.code === "INVALID_PASSWORD") setFieldError(authErrorMessage(failure));
      else setError(authErrorMessage(failure) ?? "Something went wrong. Please try again.");
      return;
    }
    const secret = new URL(data.totpURI).searchParams.get("secret") ?? "";
    const qr = await QRCode.toDataURL(data.totpURI, { margin: 1, width: 200 });
    setStep({ kind: "scan", qr, secret, backupCodes: data.backupCodes ?? [] });
  }

  async function confirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (step.kind !== "scan") return;
    const code = formText(new FormData(event.currentTarget), "code").replace(/\s+/g, "");
    if (!/^\d{6}$/.test(code)) return setFieldError("Enter the 6-digit code from your app.");
    setFieldError(null);
    setError(null);
    setPending(true);
    const { error: failure } = await authClient.twoFactor.verifyTotp({ code });
    setPending(false);
    if (failure) {
      if (failure.code === "INVALID_CODE") setFieldError(authErrorMessage(failure));
      else setError(authErrorMessage(failure));
      return;
    }
    setStep({ kind: "codes", backupCodes: step.backupCodes });
  }

  return (
    <Card className="p-6">
      <h1 className="mb-2 text-xl font-semibold">Set up two-factor authentication</h1>
      {required && step.kind !== "codes" && (
        <p className="mb-4 text-sm text-zinc-600 dark:text-zinc-400">
          Your account needs a second factor before you can continue.
        </p>
      )}
      {step.kind === "password" && (
        <form onSubmit={start} noValidate className="flex flex-col gap-4">
          <FormError message={error} />
          <Field label="Confirm your password" error={fieldError} required>
            <Input name="password" type="password" autoComplete="current-password" autoFocus maxLength={128} />
          </Field>
          <Button type="submit" loading={pending}>
            Continue
          </Button>
        </form>
      )}
      {step.kind === "scan" && (
        <form onSubmit={confirm} noValidate className="flex flex-col gap-4">
          <p className="text-sm">Scan this code with an authenticator app, then enter the 6-digit code it shows.</p>
          {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL generated here */}
          <img src={step.qr} alt="QR code for your authenticator app" width={200} height={200} className="self-center rounded bg-white p-2" />
          <p className="text-sm">
            Cannot scan? Enter this key by hand:{" "}
            <code className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-sm break-all select-all dark:bg-zinc-800">{step.secret}</code>
          </p>
          <FormError message={error} />
          <Field label="Code from the app" error={fieldError} required>
            <Input name="code" autoComplete="one-time-code" inputMode="numeric" autoFocus maxLength={6} />
          </Field>
          <Button type="submit" loading={pending}>
            Turn on two-factor authentication
          </Button>
        </form>
      )}
      {step.kind === "codes" && (
        <div className="flex flex-col gap-4">
          <p className="text-sm">Two-factor authentication is on.</p>
          <RecoveryCodes codes={step.backupCodes} />
          <Button onClick={() => window.location.assign("/")}>I have saved my codes</Button>
        </div>
      )}
    </Card>
  );
}
