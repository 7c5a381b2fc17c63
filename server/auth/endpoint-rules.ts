import { APIError } from "better-auth/api";
import type { z } from "zod";
import { loginNameSchema } from "./create-login";
import { passwordSchema } from "./password";

// better-auth's own endpoints that write a name or a password, and the panel rule each field must
// pass: the same schemas create-login uses, so a login cannot get through a profile edit or a
// password change what the panel would have refused when it was created.
const rules: Record<string, Record<string, z.ZodType<string>>> = {
  "/update-user": { name: loginNameSchema },
  "/change-password": { newPassword: passwordSchema },
  "/reset-password": { newPassword: passwordSchema },
  "/set-password": { newPassword: passwordSchema },
};

/**
 * Checks the body of a better-auth request against the panel's rules. Returns the body with the
 * checked fields as the panel stores them (a name trimmed), or null when the path has no rules;
 * throws a 400 with the panel's own message for a field that fails. Fields not present are left to
 * better-auth (a missing password is its own error).
 */
export function applyPanelRules(path: string, body: Record<string, unknown>): Record<string, unknown> | null {
  const fields = rules[path];
  if (!fields) return null;
  const out = { ...body };
  for (const [field, schema] of Object.entries(fields)) {
    if (!(field in body)) continue;
    const parsed = schema.safeParse(body[field]);
    if (!parsed.success) {
      throw new APIError("BAD_REQUEST", { code: "INVALID_INPUT", message: `${field}: ${parsed.error.issues[0]!.message}` });
    }
    out[field] = parsed.data;
  }
  return out;
}
