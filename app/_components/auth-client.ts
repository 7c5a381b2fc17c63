"use client";
import { createAuthClient } from "better-auth/react";
import { twoFactorClient } from "better-auth/client/plugins";

// better-auth's browser client, same-origin: every panel host (platform or reseller) serves
// /api/auth itself, so no base URL is configured. Sign-in pages follow `twoFactorRedirect`
// themselves (they carry ?next= along), hence no twoFactorPage here.
export const authClient = createAuthClient({ plugins: [twoFactorClient()] });

type AuthError = { code?: string | undefined; message?: string | undefined; status: number } | null | undefined;

/** One sentence for a person, from better-auth's error (rate-limit messages are ours already). */
export function authErrorMessage(error: AuthError): string | null {
  if (!error) return null;
  switch (error.code) {
    case "INVALID_EMAIL_OR_PASSWORD":
      return "Email or password is incorrect.";
    case "INVALID_CODE":
    case "INVALID_BACKUP_CODE":
      return "That code is not right. Check the time on your device and try again.";
    case "INVALID_TWO_FACTOR_COOKIE":
    case "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE":
      return "This sign-in has expired. Please sign in again.";
    case "INVALID_TOKEN":
      return "This link has expired or was already used. Ask for a new one.";
    case "INVALID_PASSWORD":
      return "That password is not right.";
    case "PASSWORD_TOO_SHORT":
      return "Use at least 10 characters.";
    case "PASSWORD_TOO_LONG":
      return "Use at most 128 characters.";
  }
  if (error.status === 429) return error.message ?? "Too many attempts, try again later.";
  return "Something went wrong. Please try again.";
}
