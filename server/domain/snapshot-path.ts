import { z } from "zod";

// A path inside a site's snapshot, as a customer browses it or names one file to restore. The same
// grammar as the agent's parseRelativePath (worker/agent/storage/names.ts), checked here first so
// a bad path gets a clear message next to the field instead of a node's refusal: "" is the top,
// otherwise "/"-separated parts, none empty, "." or "..", no NUL, no leading "/", each part at
// most 255 bytes and the whole at most 4096 characters. It can only name something inside the
// snapshot; symlinks on the way are refused where the agent walks it.

export const maxSnapshotPathLength = 4096;

export type SnapshotPathCheck = { ok: true; segments: string[] } | { ok: false; message: string };

export function checkSnapshotPath(input: string): SnapshotPathCheck {
  if (input === "") return { ok: true, segments: [] };
  if (input.length > maxSnapshotPathLength) return { ok: false, message: `A path can be at most ${maxSnapshotPathLength} characters.` };
  if (input.includes("\0")) return { ok: false, message: "A path cannot contain a NUL character." };
  if (input.startsWith("/")) return { ok: false, message: 'Use a path inside the site, without the leading "/" (for example public/index.php).' };
  const segments = input.split("/");
  if (segments.some((s) => s === "..")) return { ok: false, message: '".." is not allowed: the path must stay inside the snapshot.' };
  if (segments.some((s) => s === ".")) return { ok: false, message: 'Remove the "." parts: they add nothing to the path.' };
  if (segments.some((s) => s === "")) return { ok: false, message: 'A path cannot have empty parts: remove the extra "/".' };
  if (segments.some((s) => new TextEncoder().encode(s).length > 255)) return { ok: false, message: "A file or folder name can be at most 255 bytes." };
  return { ok: true, segments };
}

/** The tRPC input field for such a path. */
export const snapshotPathSchema = z.string().superRefine((value, ctx) => {
  const checked = checkSnapshotPath(value);
  if (!checked.ok) ctx.addIssue({ code: "custom", message: checked.message, input: value });
});
