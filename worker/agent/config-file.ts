import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";

export async function readTextIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/**
 * Writes a whole file or nothing: a temp file in the same directory (same file system, and a name
 * no `include *.conf` matches), fsync, rename over the target, fsync the directory, so a crash
 * leaves the old file or the new one, never half of either.
 */
export async function writeFileAtomic(file: string, content: string, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(content);
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  const dirHandle = await open(dir, "r");
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/**
 * Installs `content` at `file` (or removes the file when content is null), then runs `check`
 * against the whole configuration. If the check fails the previous file comes back, so one bad
 * site never reaches a reload and the others keep being served.
 */
export async function replaceChecked(file: string, content: string | null, check: () => Promise<void>): Promise<void> {
  const previous = await readTextIfExists(file);
  if (content === null) await rm(file, { force: true });
  else await writeFileAtomic(file, content);
  try {
    await check();
  } catch (e) {
    if (previous === null) await rm(file, { force: true });
    else await writeFileAtomic(file, previous);
    throw e;
  }
}

/**
 * replaceChecked for many files under one check: all are written, the configuration is checked
 * once, and if it fails every file comes back as it was (the caller then installs them one by one
 * to find the culprit). Each `php-fpm -t` starts a php-fpm, so a converge that adds many sites
 * checks once instead of once per site.
 */
export async function replaceAllChecked(changes: readonly { file: string; content: string | null }[], check: () => Promise<void>): Promise<void> {
  const previous = await Promise.all(changes.map((c) => readTextIfExists(c.file)));
  const restore = async () => {
    for (const [i, c] of changes.entries()) {
      const before = previous[i] ?? null;
      if (before === null) await rm(c.file, { force: true });
      else await writeFileAtomic(c.file, before);
    }
  };
  try {
    for (const c of changes) {
      if (c.content === null) await rm(c.file, { force: true });
      else await writeFileAtomic(c.file, c.content);
    }
    await check();
  } catch (e) {
    await restore();
    throw e;
  }
}
