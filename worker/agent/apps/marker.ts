import { constants } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../config-file";
import { appMarkerFile, legacyNames, platformDirName } from "../storage/volume-layout";

// `meta/app.json` in the site VOLUME's platform part (storage/volume-layout.ts: root's 0700,
// never in the customer's tree, so never served, listed or writable by the account) says an app
// was installed here. Written last, atomically: its absence means "not installed" and a retry
// starts over; its presence means the files are the customer's from now on. A volume not yet
// converted to that layout has it at its root under the earlier name, which is read too.

export type AppMarker = { kind: string | null; installedAt: string | null };

/**
 * Reads the marker of the volume `volumeDir` without following a symlink (in a volume of the
 * earlier layout the root was the account's: a marker pointing at /etc/shadow must not be read as
 * root). A present but unreadable marker still counts as installed, with kind null: the agent
 * never reinstalls over whatever is there.
 */
export async function readAppMarker(volumeDir: string): Promise<AppMarker | null> {
  return (await readMarkerFile(path.join(volumeDir, platformDirName, appMarkerFile))) ?? (await readMarkerFile(path.join(volumeDir, legacyNames.appMarker)));
}

async function readMarkerFile(file: string): Promise<AppMarker | null> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
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

/** Root's 0600 file in root's platform directory (made with the volume, volume-layout.ts). */
export async function writeAppMarker(volumeDir: string, kind: string, now = new Date()): Promise<void> {
  await writeFileAtomic(path.join(volumeDir, platformDirName, appMarkerFile), `${JSON.stringify({ kind, installedAt: now.toISOString() })}\n`, 0o600);
}
