import { z } from "zod";

// Free text that reaches logs, emails, headers or config comments. Newlines are refused unless a
// field is explicitly multi-line, because a CR/LF in a header or a config line starts a new one.

/** First disallowed control character, reported by code point so the customer can find it. */
function controlCharacterIssue(value: string, allowNewlines: boolean): string | null {
  if (value.includes("\0")) return "Must not contain NUL characters.";
  if (!allowNewlines && /[\r\n]/.test(value)) return "Must not contain line breaks.";
  // Tabs are ordinary in multi-line text (pasted code, addresses); on one line they are not.
  const other = allowNewlines ? /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : /[\u0001-\u001f\u007f]/;
  const found = other.exec(value);
  if (found) {
    const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    return `Must not contain control characters (found U+${code}).`;
  }
  if (!value.isWellFormed()) return "Contains an invalid character (a broken emoji or symbol).";
  return null;
}

/** Trimmed, 1..max characters, no NUL or other control characters; newlines only if allowed. */
export function safeText(max: number, opts: { allowNewlines?: boolean } = {}) {
  const allowNewlines = opts.allowNewlines ?? false;
  return z
    .string()
    .trim()
    .min(1, "Must not be empty.")
    .max(max, `Must be at most ${max} characters.`)
    .superRefine((value, ctx) => {
      const issue = controlCharacterIssue(value, allowNewlines);
      if (issue) ctx.addIssue({ code: "custom", message: issue, input: value });
    });
}

export const emailMaxLength = 254;

/** Lower-cased so sign-in and uniqueness do not depend on how a person typed their address. */
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(emailMaxLength, `An email address can be at most ${emailMaxLength} characters.`)
  .refine((value) => !/[\r\n\0]/.test(value), "Must not contain line breaks.")
  .pipe(z.email("Enter a valid email address, such as name@example.com."));

export const passwordMinLength = 12;
export const passwordMaxLength = 128;

/** Not trimmed: spaces are legitimate in passphrases. The cap bounds the hashing cost. */
export const passwordSchema = z
  .string()
  .min(passwordMinLength, `Must be at least ${passwordMinLength} characters.`)
  .max(passwordMaxLength, `Must be at most ${passwordMaxLength} characters.`)
  .refine((value) => value.trim() !== "", "Must not be only spaces.");
