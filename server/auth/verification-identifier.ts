import { createHash } from "node:crypto";

// Verification rows (password-reset tokens among them) store a SHA-256 of their identifier, so a
// database read does not hand out working reset links. better-auth hashes through this function
// (verification.storeIdentifier in auth.ts) and create-login.ts writes rows with it, so both agree.
export function hashVerificationIdentifier(identifier: string): string {
  return createHash("sha256").update(identifier).digest("base64url");
}

/** better-auth's identifier for a password-reset token (as its password-reset route writes it). */
export function resetPasswordIdentifier(token: string): string {
  return `reset-password:${token}`;
}
