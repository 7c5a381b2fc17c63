import { constants } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../config-file";

// `.shoal-app.json` in the SITE directory (never the document root, so it is never served) says
// an app was installed here. Written last, atomically: its absence means "not installed" and a
// retry starts over; its presence means the files are the customer's from now on.

export const appMarkerName = ".shoal-app.json";

export type AppMarker = { kind: string | null; installedAt: string | null };

/**
 * Reads the marker without following a symlink (the site directory is the account's: a marker
 * pointing at /etc/shadow must not be read as root). A present but unreadable marker still counts
 * as installed, with kind null: the agent never reinstalls over whatever is there.
 */
export async function readAppMarker(siteDir: string): Promise<AppMarker | null> {
  let handle;
  try {
    handle = await open(path.join(siteDir, appMarkerName), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "ELOOP") return { kind: null, installedAt: null };
    throw e;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > 4096) return { kind: null, installedAt: null };
    const parsed: unknown = JSON.parse(await handle.readFile("utf8"));
    const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
    return {
      kind: typeof record.kind === "string" ? record.kind : null,
      installedAt: typeof record.installedAt === "string" ? record.installedAt : null,
    };
  } catch {
    return { kind: null, installedAt: null };
  } finally {
    await handle.close();
  }
}

/** Root's file, 0644: rename over the name replaces whatever the account put there, never follows it. */
export async function writeAppMarker(siteDir: string, kind: string, now = new Date()): Promise<void> {
  await writeFileAtomic(path.join(siteDir, appMarkerName), `${JSON.stringify({ kind, installedAt: now.toISOString() })}\n`, 0o644);
}
