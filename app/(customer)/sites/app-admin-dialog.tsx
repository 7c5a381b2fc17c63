"use client";
import { useId, useState } from "react";
import { buttonClasses, Button } from "@/app/_components/button";
import { Dialog } from "@/app/_components/dialog";
import { Field, Input } from "@/app/_components/field";

export type AppAdminLogin = { username: string; password: string; loginUrl: string };

/**
 * The app's first admin login, which the panel shows once only (site.revealAppAdmin). The login is
 * held by the caller just while this is open; closing it drops the password from the page.
 */
export function AppAdminDialog({
  login,
  appLabel,
  siteName,
  onClose,
}: {
  login: AppAdminLogin | null;
  appLabel: string;
  siteName: string;
  onClose: () => void;
}) {
  return (
    <Dialog
      open={login !== null}
      onClose={onClose}
      title={`${appLabel} admin login for ${siteName}`}
      description={`Sign in to ${appLabel} with these details, then change the password in ${appLabel}'s own profile page.`}
      footer={
        login && (
          <>
            <a href={login.loginUrl} target="_blank" rel="noopener noreferrer" className={buttonClasses("secondary")}>
              Log in to {appLabel}
              <span className="sr-only"> (opens in a new tab)</span>
            </a>
            <Button onClick={onClose}>I have saved the password</Button>
          </>
        )
      }
    >
      {login && <LoginDetails login={login} />}
    </Dialog>
  );
}

function LoginDetails({ login }: { login: AppAdminLogin }) {
  return (
    <div className="flex flex-col gap-4">
      <div
        role="note"
        className="rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/50 dark:text-amber-200"
      >
        <strong className="font-semibold">This password is shown only this once.</strong> Copy it now and keep it somewhere safe:
        the panel cannot show it again.
      </div>
      <Field label="Username">
        <Input readOnly value={login.username} className="font-mono" autoComplete="off" spellCheck={false} />
      </Field>
      <CopyField label="Password" value={login.password} />
    </div>
  );
}

/** A read-only value with a copy button; falls back to selecting the text where the Clipboard API is missing (plain HTTP). */
function CopyField({ label, value }: { label: string; value: string }) {
  const id = `copy${useId().replace(/:/g, "")}`;
  const [copied, setCopied] = useState<"yes" | "select" | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      // No clipboard access (an insecure origin, or permission denied): select the text instead.
      const input = document.getElementById(id);
      if (input instanceof HTMLInputElement) input.select();
      setCopied(document.execCommand?.("copy") ? "yes" : "select");
    }
  }

  return (
    <Field label={label} id={id}>
      <div className="flex gap-2">
        <Input
          readOnly
          value={value}
          className="font-mono"
          autoComplete="off"
          spellCheck={false}
          onFocus={(e) => e.currentTarget.select()}
        />
        <Button variant="secondary" onClick={copy} data-autofocus aria-label={`Copy the ${label.toLowerCase()}`}>
          Copy
        </Button>
      </div>
      <p aria-live="polite" className="min-h-4 text-xs text-zinc-600 dark:text-zinc-400">
        {copied === "yes" ? `${label} copied.` : copied === "select" ? "Press Ctrl+C (or ⌘C) to copy the selected text." : ""}
      </p>
    </Field>
  );
}
